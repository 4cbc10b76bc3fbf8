import type { Reference } from '../../shared/eval.js';

const SIMCLR = 'SimCLR (Chen et al. 2020, arXiv:2002.05709)';
const SOLO = 'solo-learn (da Costa et al. 2022; github.com/vturrisi/solo-learn)';

/**
 * Published top-1 accuracies the reproduction report puts beside a run's
 * numbers. Only settings whose numbers are stated in the sources are listed;
 * a row with no matching setting shows none rather than a near miss.
 *
 * Matching (src/shared/eval.ts, matchingReferences) is on protocol, the
 * evaluation dataset, the label fraction and the setting: 'same' = pretrained
 * on the evaluation dataset itself, 'transfer' = pretrained elsewhere, 'none'
 * = no pretraining. The paper's "random init, fine-tuned" row is a ResNet-50
 * trained from scratch with labels, i.e. this app's 'supervised' protocol; its
 * "supervised" rows are an ImageNet-supervised ResNet-50 transferred, listed
 * as 'supervised'/'transfer' and shown beside the supervised row for context.
 */
export const REFERENCES: Reference[] = [
  {
    id: 'simclr-cifar10-r50-linear',
    source: SIMCLR,
    where: 'Appendix B.9',
    protocol: 'linear',
    arch: 'ResNet-50',
    pretraining: 'CIFAR-10 (SimCLR, from scratch)',
    evaluation: 'linear evaluation',
    dataset: 'cifar10',
    setting: 'same',
    labelFraction: 1,
    top1: 94.0,
    note: 'best of the batch-size/epoch sweep, CIFAR stem',
  },
  {
    id: 'solo-learn-cifar10-r18-linear',
    source: SOLO,
    where: 'CIFAR-10 benchmark table',
    protocol: 'linear',
    arch: 'ResNet-18',
    pretraining: 'CIFAR-10 (SimCLR, 1000 epochs)',
    evaluation: 'linear evaluation',
    dataset: 'cifar10',
    setting: 'same',
    labelFraction: 1,
    top1: 90.74,
  },
  {
    id: 'solo-learn-cifar100-r18-linear',
    source: SOLO,
    where: 'CIFAR-100 benchmark table',
    protocol: 'linear',
    arch: 'ResNet-18',
    pretraining: 'CIFAR-100 (SimCLR, 1000 epochs)',
    evaluation: 'linear evaluation',
    dataset: 'cifar100',
    setting: 'same',
    labelFraction: 1,
    top1: 65.78,
  },
  {
    id: 'simclr-imagenet-cifar10-linear',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'linear',
    arch: 'ResNet-50',
    pretraining: 'ImageNet (SimCLR)',
    evaluation: 'linear evaluation',
    dataset: 'cifar10',
    setting: 'transfer',
    labelFraction: 1,
    top1: 90.6,
  },
  {
    id: 'simclr-imagenet-cifar10-finetune',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'finetune',
    arch: 'ResNet-50',
    pretraining: 'ImageNet (SimCLR)',
    evaluation: 'fine-tuned',
    dataset: 'cifar10',
    setting: 'transfer',
    labelFraction: 1,
    top1: 97.7,
  },
  {
    id: 'simclr-imagenet-cifar100-linear',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'linear',
    arch: 'ResNet-50',
    pretraining: 'ImageNet (SimCLR)',
    evaluation: 'linear evaluation',
    dataset: 'cifar100',
    setting: 'transfer',
    labelFraction: 1,
    top1: 71.6,
  },
  {
    id: 'simclr-imagenet-cifar100-finetune',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'finetune',
    arch: 'ResNet-50',
    pretraining: 'ImageNet (SimCLR)',
    evaluation: 'fine-tuned',
    dataset: 'cifar100',
    setting: 'transfer',
    labelFraction: 1,
    top1: 85.9,
  },
  {
    id: 'simclr-supervised-imagenet-cifar100-linear',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'supervised',
    arch: 'ResNet-50',
    pretraining: 'ImageNet (supervised)',
    evaluation: 'linear evaluation',
    dataset: 'cifar100',
    setting: 'transfer',
    labelFraction: 1,
    top1: 78.3,
  },
  {
    id: 'simclr-supervised-imagenet-cifar100-finetune',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'supervised',
    arch: 'ResNet-50',
    pretraining: 'ImageNet (supervised)',
    evaluation: 'fine-tuned',
    dataset: 'cifar100',
    setting: 'transfer',
    labelFraction: 1,
    top1: 86.4,
  },
  {
    id: 'simclr-random-init-cifar100-finetune',
    source: SIMCLR,
    where: 'Table 8',
    protocol: 'supervised',
    arch: 'ResNet-50',
    pretraining: 'nothing (the paper\'s "random init, fine-tuned")',
    evaluation: 'trained from scratch with labels',
    dataset: 'cifar100',
    setting: 'none',
    labelFraction: 1,
    top1: 80.2,
  },
];
