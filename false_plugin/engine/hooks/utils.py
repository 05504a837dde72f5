"""What the hooks share."""
from mmengine.model import is_model_wrapper
from torch import nn


def unwrapped_model(runner) -> nn.Module:
    """The runner's model without its DDP / FSDP wrapper, if any."""
    model = runner.model
    return model.module if is_model_wrapper(model) else model
