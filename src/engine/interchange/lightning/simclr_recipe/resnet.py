"""ResNet-18/34/50 encoders (CIFAR or ImageNet stem, width multiplier) and the
SimCLR projection head, in plain PyTorch with torchvision's parameter names
(conv1, bn1, layerS.I.convJ/bnJ, layerS.I.downsample.0/1) so the weights move
to and from SimCLR Workbench's safetensors export unchanged.

Matches the workbench's src/engine/models: symmetric padding k // 2 in every
convolution, batch norm with running = m * running + (1 - m) * batch (so
PyTorch's momentum is 1 - bn_momentum), global average pooling to h, and the
head Linear(no bias) -> BN -> ReLU -> Linear -> BN(scale only) when
output_batch_norm, else -> Linear(bias).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

LAYOUT = {
    "resnet18": ("basic", [2, 2, 2, 2]),
    "resnet34": ("basic", [3, 4, 6, 3]),
    "resnet50": ("bottleneck", [3, 4, 6, 3]),
}


def scaled(channels, width):
    # JS Math.round: half away from zero for positives
    return max(1, int(math.floor(channels * width + 0.5)))


def conv(cin, cout, k, stride):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, mid, stride, bn):
        super().__init__()
        cout = mid
        self.conv1 = conv(cin, mid, 3, stride)
        self.bn1 = bn(mid)
        self.conv2 = conv(mid, mid, 3, 1)
        self.bn2 = bn(mid)
        self.downsample = nn.Sequential(conv(cin, cout, 1, stride), bn(cout)) if stride != 1 or cin != cout else None
        self.last_bn = "bn2"  # a name, not a second reference (that would duplicate state-dict keys)

    def forward(self, x):
        shortcut = self.downsample(x) if self.downsample is not None else x
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + shortcut)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, mid, stride, bn):
        super().__init__()
        cout = mid * 4
        self.conv1 = conv(cin, mid, 1, 1)
        self.bn1 = bn(mid)
        self.conv2 = conv(mid, mid, 3, stride)
        self.bn2 = bn(mid)
        self.conv3 = conv(mid, cout, 1, 1)
        self.bn3 = bn(cout)
        self.downsample = nn.Sequential(conv(cin, cout, 1, stride), bn(cout)) if stride != 1 or cin != cout else None
        self.last_bn = "bn3"

    def forward(self, x):
        shortcut = self.downsample(x) if self.downsample is not None else x
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + shortcut)


class ResNet(nn.Module):
    """Encoder f: NCHW float images (normalised) -> h [N, feature_dim]."""

    def __init__(self, arch="resnet18", width=1.0, stem="cifar", input_channels=3, bn_momentum=0.9, bn_epsilon=1e-5, zero_init_residual=False):
        super().__init__()
        kind, counts = LAYOUT[arch]
        block = BasicBlock if kind == "basic" else Bottleneck

        def bn(c):
            return nn.BatchNorm2d(c, eps=bn_epsilon, momentum=1 - bn_momentum)

        base = scaled(64, width)
        k = 3 if stem == "cifar" else 7
        self.stem = stem
        self.conv1 = conv(input_channels, base, k, 1 if stem == "cifar" else 2)
        self.bn1 = bn(base)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem == "imagenet" else nn.Identity()
        cin = base
        for stage, count in enumerate(counts):
            mid = scaled(64 * 2**stage, width)
            blocks = []
            for i in range(count):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(block(cin, mid, stride, bn))
                cin = mid * block.expansion
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.feature_dim = cin
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                # He normal over fan-out, as the workbench (and torchvision) initialise convs
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(getattr(m, m.last_bn).weight)

    def forward(self, x):
        y = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        for stage in range(1, 5):
            y = getattr(self, f"layer{stage}")(y)
        return y.mean(dim=(2, 3))


class ScaleOnlyBatchNorm1d(nn.BatchNorm1d):
    """Batch norm with a scale (gamma) and no offset (Keras center=False): gamma * xhat.
    A BatchNorm1d without its bias, so SyncBatchNorm conversion still applies."""

    def __init__(self, channels, eps, momentum):
        super().__init__(channels, eps=eps, momentum=momentum, affine=True)
        del self.bias
        self.register_parameter("bias", None)


class ProjectionHead(nn.Module):
    """g: h -> z. fc1 (no bias) -> bn1 -> ReLU -> fc2 -> bn2 (scale only) | fc2 (bias)."""

    def __init__(self, in_dim, hidden_dim, out_dim, output_batch_norm=True, bn_momentum=0.9, bn_epsilon=1e-5):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden_dim, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden_dim, eps=bn_epsilon, momentum=1 - bn_momentum)
        self.fc2 = nn.Linear(hidden_dim, out_dim, bias=not output_batch_norm)
        self.bn2 = ScaleOnlyBatchNorm1d(out_dim, bn_epsilon, 1 - bn_momentum) if output_batch_norm else None
        for fc in (self.fc1, self.fc2):
            nn.init.kaiming_normal_(fc.weight, mode="fan_in", nonlinearity="relu")
            if fc.bias is not None:
                nn.init.zeros_(fc.bias)

    def forward(self, h):
        z = self.fc2(F.relu(self.bn1(self.fc1(h))))
        return self.bn2(z) if self.bn2 is not None else z


class SimCLRModel(nn.Module):
    """Encoder + projection head with the names the workbench exports: conv1..., projector.*"""

    def __init__(self, model):
        """`model`: the workbench's model config (config.yaml `model`)."""
        super().__init__()
        self.encoder = ResNet(model["arch"], model["width"], model["stem"], model.get("inputChannels", 3), model["bnMomentum"], model["bnEpsilon"], model.get("zeroInitResidual", False))
        proj = model["projection"]
        hidden = proj.get("hiddenDim") or self.encoder.feature_dim
        self.projector = ProjectionHead(self.encoder.feature_dim, hidden, proj["outDim"], proj["outputBatchNorm"], model["bnMomentum"], model["bnEpsilon"])

    def forward(self, x):
        h = self.encoder(x)
        return h, self.projector(h)

    def export_state(self, projection=True):
        """torchvision-named tensors: the encoder's own names, the head under projector."""
        out = dict(self.encoder.state_dict())
        if projection:
            out.update({f"projector.{k}": v for k, v in self.projector.state_dict().items()})
        return out

    def load_export_state(self, state):
        """The inverse of export_state; a file without projector.* leaves the head as initialised."""
        self.encoder.load_state_dict({k: v for k, v in state.items() if not k.startswith("projector.")}, strict=True)
        head = {k[len("projector.") :]: v for k, v in state.items() if k.startswith("projector.")}
        if head:
            self.projector.load_state_dict(head, strict=True)


def is_bn_or_bias(name, param):
    """Batch-norm gammas/betas and biases: no weight decay, no LARS adaptation (the workbench's rule)."""
    return param.ndim <= 1
