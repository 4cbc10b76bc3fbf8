"""xoshiro128** seeded through splitmix32: the workbench's augmentation stream
(src/engine/augment/rng.ts), bit for bit, so the same seed draws the same
crop boxes, flips, jitter factors and orders as the app."""
import math

M32 = 0xFFFFFFFF
TWO_POW_32 = 4294967296


def _splitmix32(x):
    nxt = (x + 0x9E3779B9) & M32
    z = nxt
    z = ((z ^ (z >> 16)) * 0x21F0AAAD) & M32
    z = ((z ^ (z >> 15)) * 0x735A2D97) & M32
    z ^= z >> 15
    return nxt, z


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, words):
        self.s = [w & M32 for w in words]

    @classmethod
    def from_seed(cls, seed):
        lo = seed % TWO_POW_32
        hi = (seed // TWO_POW_32) % TWO_POW_32
        x = (lo ^ _splitmix32(hi ^ 0x5851F42D)[1]) & M32
        words = []
        for _ in range(4):
            x, out = _splitmix32(x)
            words.append(out)
        if not any(words):
            words[0] = 1
        return cls(words)

    def uint32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def float(self):
        return self.uint32() / TWO_POW_32

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.float()

    def int(self, n):
        limit = TWO_POW_32 - (TWO_POW_32 % n)
        x = self.uint32()
        while x >= limit:
            x = self.uint32()
        return x % n

    def bernoulli(self, p):
        return self.float() < p

    def normal(self):
        u1 = 1 - self.float()
        u2 = self.float()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    def permutation(self, n):
        out = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def fill_normal(self, n, mean=0.0, std=1.0):
        """n normals from both Box-Muller outputs, in the order of Rng.fillNormal."""
        out = [0.0] * n
        i = 0
        while i + 1 < n:
            r = math.sqrt(-2 * math.log(1 - self.float()))
            a = 2 * math.pi * self.float()
            out[i] = mean + std * r * math.cos(a)
            out[i + 1] = mean + std * r * math.sin(a)
            i += 2
        if i < n:
            out[i] = mean + std * self.normal()
        return out


def js_round(x):
    """Math.round: halves go up."""
    return int(math.floor(x + 0.5))
