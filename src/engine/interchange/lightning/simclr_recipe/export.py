"""The final weights in SimCLR Workbench's interchange format: a .safetensors
file with torchvision names (conv weights OIHW) and the JSON sidecar beside it
(also stored in the header's __metadata__), which `simclr-workbench runs
import-weights` and `runs import-lightning` read."""
import json
import os

from safetensors.torch import save_file

FORMAT = "simclr-workbench-weights"
METADATA_KEY = "simclr_workbench"


def sidecar_path(file):
    return (file[: -len(".safetensors")] if file.endswith(".safetensors") else file) + ".json"


def export_weights(model, config, file, epoch, global_step, projection=True):
    state = {k: v.detach().cpu().contiguous() for k, v in model.export_state(projection).items()}
    spec = {
        "format": FORMAT,
        "version": 1,
        "layout": "torchvision-resnet",
        "runId": None,
        "runName": config["run"]["name"] + " (lightning)",
        "model": config["model"],
        "projection": projection,
        "inputSize": config["pipeline"]["outputSize"],
        "normalize": config["pipeline"]["normalize"],
        "dataset": {"id": config["data"]["id"], "name": config["data"]["name"], "path": config["data"]["path"]},
        "checkpoint": {"epoch": epoch, "globalStep": global_step},
        "config": {k: v for k, v in config["train"].items() if k != "learningRate"},
        "pipeline": config["pipeline"],
    }
    text = json.dumps(spec, indent=1)
    os.makedirs(os.path.dirname(os.path.abspath(file)), exist_ok=True)
    tmp = file + ".tmp"
    save_file(state, tmp, metadata={METADATA_KEY: text, "format": "pt"})
    os.replace(tmp, file)
    with open(sidecar_path(file) + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(sidecar_path(file) + ".tmp", sidecar_path(file))
    return file
