"""Whole-scene inference: sliding windows over a raster of any size, a
class map on the input's exact grid, written window by window."""
import os
import os.path as osp
import time
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import rasterio
import torch
from rasterio.enums import ColorInterp
from rasterio.windows import Window

from ..datasets.raster_io import RasterReadError, read_raster
from ..models.utils import input_band_count

#: Class index written where the input is nodata (declared nodata).
NODATA_CLASS = 255


def window_offsets(length: int, window: int, overlap: int) -> List[int]:
    """Start of each window along one axis: every ``window - overlap``
    pixels, the last one shifted inward so that it ends at the edge (an
    axis shorter than the window gets one window at 0, read padded)."""
    if not 0 <= overlap < window:
        raise ValueError(f'overlap must be in [0, {window}), got {overlap}')
    if length <= window:
        return [0]
    stride = window - overlap
    offsets = list(range(0, length - window, stride))
    return offsets + [length - window]


def owned_spans(offsets: Sequence[int], length: int,
                window: int) -> List[Tuple[int, int]]:
    """The ``[start, end)`` each window writes: the centre of its overlap
    with each neighbour is the seam, so every pixel comes from the window in
    which it lies farthest from an edge (no blending, no visible seams)."""
    cuts = [0] + [(offsets[i + 1] + offsets[i] + window) // 2
                  for i in range(len(offsets) - 1)] + [length]
    return list(zip(cuts[:-1], cuts[1:]))


class ScenePredictor:
    """Sliding-window prediction of an mmseg segmentor over a scene.

    Windows are read with rasterio a batch at a time (padded with zeros
    where the scene is smaller than a window), normalised by the model's own
    data preprocessor, and each window writes only the part of its logits
    it owns (:func:`owned_spans`), so memory is bounded by the batch and the
    output never shows window seams.

    Args:
        model: An mmseg segmentor (``encode_decode``), in eval mode, with
            its checkpoint loaded.
        bands (Sequence[int], optional): 1-based bands to read; all if None.
        window (int): Window size. Defaults to 256.
        overlap (int): Overlap of neighbouring windows. Defaults to 64.
        batch_size (int): Windows per forward pass. Defaults to 8.
        nodata_value (float): Written into nodata pixels of the input
            before the forward pass (the loader's ``nodata_value``).
            Defaults to 0.
    """

    def __init__(self,
                 model: torch.nn.Module,
                 bands: Optional[Sequence[int]] = None,
                 window: int = 256,
                 overlap: int = 64,
                 batch_size: int = 8,
                 nodata_value: float = 0.0) -> None:
        self.model = model
        self.bands = list(bands) if bands else None
        self.window = window
        self.overlap = overlap
        self.batch_size = batch_size
        self.nodata_value = nodata_value
        self.in_channels = input_band_count(model)
        self.num_classes = model.decode_head.num_classes

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

    def windows(self, width: int, height: int
                ) -> Iterator[Tuple[Tuple[int, int, int, int],
                                    Tuple[int, int, int, int]]]:
        """``(read window, owned box)`` pairs, row by row; both are
        ``(col, row, width, height)`` in scene pixels."""
        cols = window_offsets(width, self.window, self.overlap)
        rows = window_offsets(height, self.window, self.overlap)
        col_spans = owned_spans(cols, width, self.window)
        row_spans = owned_spans(rows, height, self.window)
        for row, (r0, r1) in zip(rows, row_spans):
            for col, (c0, c1) in zip(cols, col_spans):
                read = (col, row, min(self.window, width - col),
                        min(self.window, height - row))
                yield read, (c0, r0, c1 - c0, r1 - r0)

    @torch.no_grad()
    def logits(self, images: List[np.ndarray]) -> torch.Tensor:
        """Logits ``(N, K, window, window)`` of ``(H, W, C)`` windows, each
        zero-padded to the window size."""
        size = self.window
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

    def __call__(self,
                 image: str,
                 write: Callable[[Tuple[int, int, int, int], np.ndarray,
                                  Optional[np.ndarray]], None],
                 with_probs: bool = False,
                 progress: Optional[Callable[[int, int], None]] = None
                 ) -> None:
        """Predict ``image``, handing each owned box to ``write``.

        Args:
            image (str): The scene.
            write: ``write(box, classes (h, w) uint8, probs (K, h, w) uint8
                or None)``.
            with_probs (bool): Also hand over class probabilities, scaled to
                0-255.
            progress: Called with ``(windows done, windows in all)``.
        """
        with rasterio.open(image) as src:
            width, height, count = src.width, src.height, src.count
        self.check_bands(image, count)
        jobs = list(self.windows(width, height))
        for start in range(0, len(jobs), self.batch_size):
            batch = jobs[start:start + self.batch_size]
            images, masks = [], []
            for read, _ in batch:
                img, mask = read_raster(image, self.bands, read)
                if mask is not None:
                    img[mask] = self.nodata_value
                images.append(img)
                masks.append(mask)
            logits = self.logits(images)
            for (read, box), logit, mask in zip(batch, logits, masks):
                col, row = box[0] - read[0], box[1] - read[1]
                cut = (slice(row, row + box[3]), slice(col, col + box[2]))
                part = logit[:, cut[0], cut[1]]
                classes = part.argmax(0).to(torch.uint8).cpu().numpy()
                probs = None
                if with_probs:
                    probs = (part.softmax(0) * 255).round().to(
                        torch.uint8).cpu().numpy()
                if mask is not None:
                    classes[mask[cut]] = NODATA_CLASS
                    if probs is not None:
                        probs[:, mask[cut]] = 0
                write(box, classes, probs)
            if progress is not None:
                progress(min(start + self.batch_size, len(jobs)), len(jobs))


class SceneWriter:
    """Write a class map (and probabilities) on a scene's exact grid.

    Each box is written as it comes into tiled, deflate-compressed GeoTIFFs
    under temporary names; :meth:`close` adds overviews and turns them into
    Cloud-Optimised GeoTIFFs (GDAL's COG driver) at the final paths. The
    class map is uint8 with 255 as nodata and, given a palette, a colour
    table; probabilities are one uint8 band per class.

    Args:
        like (str): The input scene (size, CRS, transform).
        out (str): The class map.
        palette (Sequence, optional): RGB of each class.
        probs_out (str, optional): The probabilities, with ``num_classes``.
        num_classes (int): Bands of the probability raster.
    """

    def __init__(self, like: str, out: str,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 probs_out: Optional[str] = None,
                 num_classes: int = 0) -> None:
        with rasterio.open(like) as src:
            profile = dict(driver='GTiff', width=src.width,
                           height=src.height, crs=src.crs,
                           transform=src.transform, tiled=True,
                           blockxsize=256, blockysize=256,
                           compress='deflate', dtype='uint8')
        self.outputs = [(out, out + '.part.tif')]
        self.classes = rasterio.open(self.outputs[0][1], 'w', count=1,
                                     nodata=NODATA_CLASS, **profile)
        if palette:
            self.classes.write_colormap(1, {
                i: tuple(int(v) for v in rgb) + (255, )
                for i, rgb in enumerate(palette)
            })
            self.classes.colorinterp = [ColorInterp.palette]
        self.probs = None
        if probs_out:
            self.outputs.append((probs_out, probs_out + '.part.tif'))
            self.probs = rasterio.open(self.outputs[1][1], 'w',
                                       count=num_classes, **profile)

    def __call__(self, box: Tuple[int, int, int, int], classes: np.ndarray,
                 probs: Optional[np.ndarray]) -> None:
        window = Window(*box)
        self.classes.write(classes, 1, window=window)
        if self.probs is not None and probs is not None:
            self.probs.write(probs, window=window)

    def discard(self) -> None:
        """Close and delete the temporaries; the final paths stay as they
        were."""
        for dataset in (self.classes, self.probs):
            if dataset is not None and not dataset.closed:
                dataset.close()
        for _, tmp in self.outputs:
            for path in (tmp, tmp + '.aux.xml'):
                if osp.exists(path):
                    os.remove(path)

    def close(self) -> None:
        """Overviews, then COGs at the final paths; temporaries removed."""
        from rasterio.enums import Resampling
        from rasterio.shutil import copy as gdal_copy
        for dataset in (self.classes, self.probs):
            if dataset is not None:
                factors = [f for f in (2, 4, 8, 16, 32)
                           if min(dataset.width, dataset.height) // f >= 64]
                if factors:
                    dataset.build_overviews(factors, Resampling.nearest)
                dataset.close()
        for final, tmp in self.outputs:
            gdal_copy(tmp, final + '.cog.part', driver='COG',
                      compress='DEFLATE', overviews='FORCE_USE_EXISTING')
            os.replace(final + '.cog.part', final)
            os.remove(tmp)
            for sidecar in (tmp + '.ovr', tmp + '.aux.xml'):
                if osp.exists(sidecar):
                    os.remove(sidecar)


def predict_scene(predictor: ScenePredictor, image: str, out: str,
                  palette: Optional[Sequence[Sequence[int]]] = None,
                  probs_out: Optional[str] = None,
                  log: Optional[Callable[[str], None]] = print,
                  gdal_cache_mb: int = 128) -> dict:
    """Predict a whole scene into a COG class map (and probabilities).

    Args:
        gdal_cache_mb (int): GDAL's block cache (by default 5% of the
            machine's memory, which a large scene's written blocks would
            fill). Defaults to 128.

    Returns:
        dict: ``seconds`` and ``megapixels_per_second``.
    """
    with rasterio.Env(GDAL_CACHEMAX=gdal_cache_mb):
        return _predict_scene(predictor, image, out, palette, probs_out, log)


def _predict_scene(predictor, image, out, palette, probs_out, log) -> dict:
    with rasterio.open(image) as src:
        predictor.check_bands(image, src.count)  # before anything is written
        pixels = src.width * src.height
    writer = SceneWriter(image, out, palette, probs_out,
                         predictor.num_classes)
    start = time.perf_counter()
    last = [start]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if log is not None and (now - last[0] > 10 or done == total):
            last[0] = now
            log(f'[predict] {image}: {done}/{total} windows, '
                f'{now - start:.0f} s')

    try:
        predictor(image, writer, probs_out is not None, progress)
    except BaseException:
        writer.discard()  # no half-predicted map at the final path
        raise
    writer.close()
    seconds = time.perf_counter() - start
    return dict(seconds=seconds, megapixels_per_second=pixels / 1e6 /
                max(seconds, 1e-9))
