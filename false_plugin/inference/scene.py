"""Whole-scene inference: sliding windows over a raster of any size, read
as the config's test pipeline reads its images, a class map on the input's
exact grid written window by window (:mod:`.writer`)."""
import time
from typing import Callable, List, Optional, Sequence

import numpy as np
import rasterio
import torch

from ..datasets.label_values import IGNORE_INDEX
from ..datasets.raster_io import RasterReadError
from ..datasets.transforms.loading import LoadRSImageFromFile
from ..models.utils import input_band_count
from .windows import PixelWindow, sliding_windows
from .writer import SceneWriter

#: ``write(owned window, classes (h, w) uint8, probs (K, h, w) uint8 or
#: None)``.
WriteFn = Callable[[PixelWindow, np.ndarray, Optional[np.ndarray]], None]


def test_loader_settings(cfg, source: str = 'the config') -> dict:
    """``bands`` and ``nodata_value`` of the ``LoadRSImageFromFile`` step of
    a config's test pipeline (the test dataloader's, else ``test_pipeline``).

    Raises:
        ValueError: If the test pipeline does not load images with
            ``LoadRSImageFromFile`` (a scene is read with it: another loader
            would see other values, e.g. BGR instead of the file's order).
    """
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    pipeline = dataset.get('pipeline') or cfg.get('test_pipeline') or []
    for step in pipeline:
        if step.get('type') == 'LoadRSImageFromFile':
            return dict(bands=step.get('bands'),
                        nodata_value=step.get('nodata_value'))
    raise ValueError(
        f'{source}: its test pipeline has no LoadRSImageFromFile step '
        f'({[step.get("type") for step in pipeline]}); scenes are predicted '
        'as that loader reads them')


class ScenePredictor:
    """Sliding-window prediction of an mmseg segmentor over a scene.

    Windows are read a batch at a time by the test pipeline's loader
    (:class:`~false_plugin.datasets.transforms.LoadRSImageFromFile`, the
    same bands and nodata handling as in training and testing; zero-padded
    where the scene is smaller than a window), normalised by the model's
    own data preprocessor, and each window writes only the part of its
    logits it owns (:func:`~.windows.owned_spans`), so memory is bounded by
    the batch and the output never shows window seams. Windows that are
    nodata everywhere are not passed through the model.

    Build it with :meth:`from_config` to read scenes as the model's config
    does.

    Args:
        model: An mmseg segmentor (``encode_decode``), in eval mode, with
            its checkpoint loaded.
        bands (Sequence[int], optional): 1-based bands to read; all if None.
        window_size (int): Side of the square windows, in pixels.
            Defaults to 256.
        overlap (int): Overlap of neighbouring windows. Defaults to 64.
        batch_size (int): Windows per forward pass. Defaults to 8.
        nodata_value (float, optional): The loader's ``nodata_value``:
            written into nodata pixels before the forward pass; if None,
            declared nodata values stay as in the file (NaN and infinite
            values become 0).
    """

    def __init__(self,
                 model: torch.nn.Module,
                 bands: Optional[Sequence[int]] = None,
                 window_size: int = 256,
                 overlap: int = 64,
                 batch_size: int = 8,
                 nodata_value: Optional[float] = None) -> None:
        if window_size < 1 or batch_size < 1:
            raise ValueError('window_size and batch_size must be at least '
                             f'1, got {window_size} and {batch_size}')
        if not 0 <= overlap < window_size:
            raise ValueError(
                f'overlap must be in [0, {window_size}), got {overlap}')
        self.model = model
        self.loader = LoadRSImageFromFile(bands=bands,
                                          nodata_value=nodata_value)
        self.window_size = window_size
        self.overlap = overlap
        self.batch_size = batch_size
        self.in_channels = input_band_count(model)
        self.num_classes = model.decode_head.num_classes

    @classmethod
    def from_config(cls,
                    model: torch.nn.Module,
                    cfg=None,
                    bands: Optional[Sequence[int]] = None,
                    **kwargs) -> 'ScenePredictor':
        """A predictor that reads scenes as ``cfg``'s test pipeline reads
        its images (its ``LoadRSImageFromFile`` bands and nodata value).

        Args:
            model: As for the constructor.
            cfg (Config, optional): The model's config; ``model.cfg`` (set
                by ``mmseg.apis.init_model``) if None.
            bands (Sequence[int], optional): Bands to read instead of the
                config's.
            **kwargs: ``window_size``, ``overlap``, ``batch_size``.
        """
        cfg = model.cfg if cfg is None else cfg
        settings = test_loader_settings(cfg, getattr(cfg, 'filename', None)
                                        or 'the config')
        return cls(model, bands or settings['bands'],
                   nodata_value=settings['nodata_value'], **kwargs)

    @property
    def bands(self) -> Optional[List[int]]:
        """1-based bands read (None: all)."""
        return self.loader.bands

    def check_bands(self, path: str, count: int) -> None:
        """Error naming the file and both counts when the bands read are
        not the model's input."""
        bands = len(self.bands) if self.bands else count
        if bands != self.in_channels:
            raise RasterReadError(
                f'{path}: {bands} band(s) would be read '
                f'({"bands " + str(self.bands) if self.bands else "all"} of '
                f'{count}), the model takes {self.in_channels} (backbone '
                'in_channels); choose them with --bands')

    @torch.no_grad()
    def logits(self, images: List[np.ndarray]) -> torch.Tensor:
        """Logits ``(N, K, window_size, window_size)`` of ``(H, W, C)``
        windows, each zero-padded to the window size."""
        size = self.window_size
        inputs = []
        for img in images:
            padded = np.zeros((size, size, img.shape[2]), np.float32)
            padded[:img.shape[0], :img.shape[1]] = img
            inputs.append(torch.from_numpy(padded.transpose(2, 0, 1)))
        data = self.model.data_preprocessor(dict(inputs=inputs), False)
        meta = dict(img_shape=(size, size), pad_shape=(size, size),
                    ori_shape=(size, size))
        return self.model.encode_decode(data['inputs'],
                                        [meta] * len(inputs)).float()

    def read(self, image: str, window: PixelWindow) -> dict:
        """One window as the loader reads it: ``img`` and, where the file
        can hold nodata, ``nodata_mask``."""
        return self.loader.transform(dict(img_path=image, window=window))

    def __call__(self,
                 image: str,
                 write: WriteFn,
                 with_probs: bool = False,
                 progress: Optional[Callable[[int, int], None]] = None
                 ) -> int:
        """Predict ``image``, handing each owned window to ``write``.

        Args:
            image (str): The scene.
            write: ``write(window, classes, probs)``.
            with_probs (bool): Also hand over class probabilities, scaled to
                0-255.
            progress: Called with ``(windows done, windows in all)``.

        Returns:
            int: The scene's nodata pixels (class
                :data:`~false_plugin.datasets.label_values.IGNORE_INDEX`).
        """
        with rasterio.open(image) as src:
            width, height, count = src.width, src.height, src.count
        self.check_bands(image, count)
        jobs = sliding_windows(width, height, self.window_size, self.overlap)
        nodata_pixels = 0
        for start in range(0, len(jobs), self.batch_size):
            batch = []
            for read, owned in jobs[start:start + self.batch_size]:
                results = self.read(image, read)
                mask = results.get('nodata_mask')
                empty = mask is not None and bool(mask.all())
                batch.append((read, owned, results['img'], mask, empty))
            # Windows with a valid pixel go through the model.
            valid = [img for _, _, img, _, empty in batch if not empty]
            logits = iter(self.logits(valid) if valid else [])
            for read, owned, _, mask, empty in batch:
                cut = owned.within(read)
                if empty:
                    classes = np.full((owned.height, owned.width),
                                      IGNORE_INDEX, np.uint8)
                    probs = (np.zeros((self.num_classes, owned.height,
                                       owned.width), np.uint8)
                             if with_probs else None)
                else:
                    part = next(logits)[:, cut[0], cut[1]]
                    classes = part.argmax(0).to(torch.uint8).cpu().numpy()
                    probs = None
                    if with_probs:
                        probs = (part.softmax(0) * 255).round().to(
                            torch.uint8).cpu().numpy()
                    if mask is not None:
                        classes[mask[cut]] = IGNORE_INDEX
                        if probs is not None:
                            probs[:, mask[cut]] = 0
                if mask is not None:
                    nodata_pixels += int(mask[cut].sum())
                write(owned, classes, probs)
            if progress is not None:
                progress(min(start + self.batch_size, len(jobs)), len(jobs))
        return nodata_pixels


def predict_scene(predictor: ScenePredictor, image: str, out: str,
                  palette: Optional[Sequence[Sequence[int]]] = None,
                  probs_out: Optional[str] = None,
                  log: Optional[Callable[[str], None]] = print,
                  gdal_cache_mb: int = 128,
                  class_names: Optional[Sequence[str]] = None,
                  replaces: Sequence[str] = ()) -> dict:
    """Predict a whole scene into a COG class map (and probabilities).

    Nothing is at ``out`` (or ``probs_out``) until the whole scene is
    predicted: a failure or an interruption leaves the paths as they were
    (an earlier map included) and no temporaries.

    Args:
        predictor (ScenePredictor): The model and how it reads the scene.
        image (str): The scene.
        out (str): The class map (its folder is created).
        palette (Sequence, optional): RGB of each class (colour table).
        probs_out (str, optional): The probabilities, if wanted.
        log (callable, optional): Progress and warnings (None: silent).
        gdal_cache_mb (int): GDAL's block cache (by default 5% of the
            machine's memory, which a large scene's written blocks would
            fill). Defaults to 128.
        class_names (Sequence[str], optional): Names of the classes:
            category names of the map, band descriptions of the
            probabilities.
        replaces (Sequence[str]): Outputs of an earlier run removed once
            the new map is in place (an old probabilities file).

    Returns:
        dict: ``seconds``, ``megapixels_per_second``, ``pixels`` and
        ``nodata_pixels``.
    """
    # In bytes: rasterio hands an int to GDALSetCacheMax64 as is (128 would
    # be 128 bytes, no cache at all).
    with rasterio.Env(GDAL_CACHEMAX=gdal_cache_mb * 2**20,
                      GDAL_TIFF_INTERNAL_MASK=True):
        return _predict_scene(predictor, image, out, palette, probs_out, log,
                              class_names, replaces)


def _predict_scene(predictor, image, out, palette, probs_out, log,
                   class_names, replaces) -> dict:
    with rasterio.open(image) as src:
        predictor.check_bands(image, src.count)  # before anything is written
        pixels = src.width * src.height
    start = time.perf_counter()
    last = [start]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if log is not None and (now - last[0] > 10 or done == total):
            last[0] = now
            log(f'[predict] {image}: {done}/{total} windows, '
                f'{now - start:.0f} s')

    writer = SceneWriter(image, out, palette, probs_out,
                         predictor.num_classes, class_names)
    try:
        nodata = predictor(image, writer, probs_out is not None, progress)
        writer.close(replaces)
    except BaseException:
        writer.discard()  # no half-predicted map at the final path
        raise
    if nodata == pixels and log is not None:
        bands = predictor.bands or 'all'
        log(f'[predict] warning: {image}: every pixel is nodata (bands '
            f'{bands}: declared nodata, NaN or masked); nothing was '
            f'predicted and {out} is nodata ({IGNORE_INDEX}) everywhere')
    seconds = time.perf_counter() - start
    return dict(seconds=seconds, pixels=pixels, nodata_pixels=nodata,
                megapixels_per_second=pixels / 1e6 / max(seconds, 1e-9))
