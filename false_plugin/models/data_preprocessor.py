"""Normalisation of images with any number of bands for pretraining."""
from typing import Optional, Sequence

import torch
from mmselfsup.models.utils import SelfSupDataPreprocessor
from mmselfsup.registry import MODELS


@MODELS.register_module()
class MultiBandSelfSupDataPreprocessor(SelfSupDataPreprocessor):
    """``SelfSupDataPreprocessor`` for C-band imagery (RGBIR, Landsat...).

    Upstream (through mmengine's ``ImgDataPreprocessor``) accepts a ``mean``
    and ``std`` of 1 or 3 values only. This one takes one value per band
    and never swaps channels.

    Args:
        mean (Sequence[float], optional): Per-band means.
        std (Sequence[float], optional): Per-band standard deviations.
        **kwargs: Other arguments of ``SelfSupDataPreprocessor``
            (``non_blocking``...).
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 **kwargs) -> None:
        if kwargs.pop('bgr_to_rgb', False) or kwargs.pop('rgb_to_bgr', False):
            raise ValueError('MultiBandSelfSupDataPreprocessor does not swap '
                             'channels: order the bands with the loader')
        super().__init__(**kwargs)
        if (mean is None) != (std is None) or (
                mean is not None and len(mean) != len(std)):
            raise ValueError('mean and std must both be given, one value per '
                             f'band; got {mean} and {std}')
        if mean is not None:
            self._enable_normalize = True
            self.register_buffer('mean',
                                 torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer('std',
                                 torch.tensor(std).view(-1, 1, 1), False)
