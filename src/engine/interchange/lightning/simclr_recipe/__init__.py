"""SimCLR Workbench recipe: the app's model, augmentations, loss and optimiser in PyTorch."""
