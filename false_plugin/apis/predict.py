"""Predict a whole scene with a segmentation config and checkpoint: the
library function behind ``tools/predict.py`` (``false_plugin_cli.predict``).
"""
import contextlib
import os.path as osp
import signal
from typing import Callable, Iterator, Optional, Sequence


@contextlib.contextmanager
def sigterm_exits() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit(143)`` (128 + 15, the
    shell's status of a terminated process), so ``finally`` and ``except``
    blocks run and remove what was half-written, as on Ctrl-C. Outside the
    main thread (where no handler can be set) nothing changes."""
    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def load_segmentor(cfg, checkpoint: str, device: str = 'cpu'):
    """The segmentation model of ``cfg`` with ``checkpoint``'s weights,
    loaded strictly (:func:`false_plugin.models.checkpoints.load_checkpoint`:
    a missing, unexpected or mis-shaped key stops it, naming the
    checkpoint), in eval mode, with the checkpoint's ``dataset_meta``.

    Args:
        cfg (Config | str): The config or its file.
        checkpoint (str): The checkpoint file.
        device (str): ``cpu`` or ``cuda``.
    """
    from mmseg.apis import init_model

    from false_plugin.models.checkpoints import load_checkpoint
    model = init_model(cfg, device=device).eval()
    meta = load_checkpoint(model, checkpoint).get('meta', {})
    model.dataset_meta = meta.get('dataset_meta')
    return model


def predict(config: str,
            checkpoint: str,
            image: str,
            out: str,
            probs_out: Optional[str] = None,
            window_size: int = 256,
            overlap: int = 64,
            batch_size: int = 8,
            bands: Optional[Sequence[int]] = None,
            device: str = 'cpu',
            cfg_options: Optional[dict] = None,
            overwrite: bool = False,
            replaces: Sequence[str] = (),
            log: Optional[Callable[[str], None]] = print) -> dict:
    """Predict ``image`` into a class map (and probabilities).

    The scene is read as the config's test pipeline reads its images
    (:meth:`~false_plugin.inference.ScenePredictor.from_config`). The map
    and the probabilities appear at their paths only when complete;
    SIGTERM, like any error, leaves no temporary behind.

    Args:
        config (str): A segmentation config.
        checkpoint (str): Its trained weights.
        image (str): The scene (any GDAL raster).
        out (str): The class map (COG); its folder is created.
        probs_out (str, optional): The class probabilities (COG), if wanted.
        window_size (int): Side of the sliding windows. Defaults to 256.
        overlap (int): Overlap of neighbouring windows. Defaults to 64.
        batch_size (int): Windows per forward pass. Defaults to 8.
        bands (Sequence[int], optional): 1-based bands to read instead of
            the config's.
        device (str): ``cpu`` or ``cuda``. Defaults to ``cpu``.
        cfg_options (dict, optional): Overrides merged into the config.
        overwrite (bool): Replace existing outputs. Defaults to False.
        replaces (Sequence[str]): Outputs of an earlier run removed once the
            new map is in place (an old probabilities file).
        log (callable, optional): Progress and warnings.

    Returns:
        dict: As :func:`~false_plugin.inference.predict_scene`.

    Raises:
        FileExistsError: If an output exists and ``overwrite`` is False.
        ConfigError: If ``config`` is not a segmentation config.
    """
    outputs = [out] + ([probs_out] if probs_out else [])
    for path in outputs:
        if osp.exists(path) and not overwrite:
            raise FileExistsError(f'{path}: exists (give overwrite=True to '
                                  'replace it)')
    if osp.abspath(image) in map(osp.abspath, outputs):
        raise ValueError(f'{image}: is both the input and an output')
    import false_plugin  # noqa: F401  (upstream fixes, registers parts)
    from false_plugin.apis.runner_config import load_config
    from false_plugin.inference import ScenePredictor, predict_scene
    cfg = load_config(config, cfg_options, 'predict.py')
    with sigterm_exits():
        model = load_segmentor(cfg, checkpoint, device)
        predictor = ScenePredictor.from_config(
            model, cfg, bands, window_size=window_size, overlap=overlap,
            batch_size=batch_size)
        meta = model.dataset_meta or {}
        return predict_scene(predictor, image, out, meta.get('palette'),
                             probs_out, log,
                             class_names=meta.get('classes'),
                             replaces=replaces)
