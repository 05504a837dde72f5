"""Facts about a model read off its modules."""
from typing import Optional, Tuple

from torch import nn

__all__ = ['first_conv', 'input_band_count']


def first_conv(module: nn.Module) -> Optional[Tuple[str, nn.Conv2d]]:
    """The name (relative to ``module``) and the module of its first
    ``Conv2d`` in registration order (a ResNet's stem), or None."""
    return next(((name, m) for name, m in module.named_modules()
                 if isinstance(m, nn.Conv2d)), None)


def input_band_count(model: nn.Module) -> Optional[int]:
    """The band count a model takes: ``in_channels`` of the first
    convolution of its backbone (of the model itself if it has none), or
    None if it has no convolution."""
    found = first_conv(getattr(model, 'backbone', model))
    return found[1].in_channels if found is not None else None
