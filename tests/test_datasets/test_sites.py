"""Sites (``RSTileSamplingDataset(windows_per_site)``): windows drawn around
an anchor, read from one box, interleaved by ``RSWindowSampler``."""
import collections
import os

import numpy as np
import pytest
from _support import logged_warnings
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmselfsup.registry import DATA_SAMPLERS, DATASETS, TRANSFORMS

import false_plugin  # noqa: F401
from false_plugin.apis.config_check import ConfigError
from false_plugin.apis.config_derived import interleave_site_windows
from false_plugin.datasets import raster_io
from false_plugin.datasets.raster_io import RasterReadError, read_raster
from false_plugin.datasets.rs_pretrain import EpochSampleIndex, reflect
from false_plugin.datasets.transforms import LoadRSImageFromFile


def _dataset(img, **kwargs):
    cfg = dict(type='RSTileSamplingDataset', img_files=[img], patch_size=12,
               num_samples=16, min_valid_fraction=1.0, pipeline=[])
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return DATASETS.build(cfg)


def _sampler(dataset, **kwargs):
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return DATA_SAMPLERS.build(dict(type='RSWindowSampler', **kwargs),
                                   default_args=dict(dataset=dataset))


@pytest.mark.parametrize('count', [1, 2, 5, 12])
@pytest.mark.parametrize('reach', [0, 1, 4, 7, 30])
def test_reflected_offsets_keep_positions_uniform(count, reach):
    """Every anchor position and every offset once: each position is hit
    equally often, so a site's windows are as uniform as its anchor."""
    hits = collections.Counter(
        reflect(anchor + offset, count) for anchor in range(count)
        for offset in range(-reach, reach + 1))
    assert sorted(hits) == list(range(count))
    assert set(hits.values()) == {2 * reach + 1}


def test_site_windows(scene):
    img, _ = scene
    sites = _dataset(img, windows_per_site=4, site_size=24)
    single = _dataset(img)
    for epoch in (0, 2):
        for site in range(4):
            infos = [sites.get_data_info(EpochSampleIndex(
                epoch * 16 + site * 4 + m)) for m in range(4)]
            # The anchor is the window sample ``site`` has without sites.
            assert infos[0]['window'] == single.get_data_info(
                EpochSampleIndex(epoch * 16 + site))['window']
            col, row, width, height = infos[0]['site']
            assert width <= 24 and height <= 24
            for info in infos:
                c, r, w, h = info['window']
                assert (w, h) == (12, 12)
                assert col <= c and c + w <= col + width
                assert row <= r and r + h <= row + height
                assert c >= 8  # clear of the nodata strip
                assert info['site'] == infos[0]['site']
            assert len({info['window'] for info in infos}) > 1


def test_site_windows_read_the_pixels_of_the_window(scene):
    """Cut from the site's box or read alone: the same pixels and nodata
    mask, also for a window over the nodata strip."""
    img, _ = scene
    raster_io._SITES.clear()
    site = (0, 4, 30, 30)
    for window in [(0, 4, 12, 12), (6, 10, 12, 12), (18, 22, 12, 12)]:
        alone, alone_mask = read_raster(img, [1, 3], window)
        cut, cut_mask = read_raster(img, [1, 3], window, site=site)
        np.testing.assert_array_equal(cut, alone)
        np.testing.assert_array_equal(cut_mask, alone_mask)
    assert raster_io._SITES.nbytes == 30 * 30 * (2 * 4 + 1)
    loader = LoadRSImageFromFile(nodata_value=0)
    via_site = loader(dict(img_path=img, window=(6, 10, 12, 12), site=site))
    direct = loader(dict(img_path=img, window=(6, 10, 12, 12)))
    np.testing.assert_array_equal(via_site['img'], direct['img'])
    np.testing.assert_array_equal(via_site['nodata_mask'],
                                  direct['nodata_mask'])
    with pytest.raises(RasterReadError, match='scene.tif.*outside the site'):
        read_raster(img, window=(20, 4, 12, 12), site=(0, 4, 24, 24))


def test_site_larger_than_its_budget_is_read_by_windows(scene, monkeypatch):
    img, _ = scene
    small = raster_io._RasterCache(100)
    monkeypatch.setattr(raster_io, '_SITES', small)
    window = (10, 10, 12, 12)
    cut, _ = read_raster(img, window=window, site=(8, 0, 40, 40))
    np.testing.assert_array_equal(cut, read_raster(img, window=window)[0])
    assert small.nbytes == 0


def test_dominant_label_reads_from_the_site(scene):
    img, label = scene
    sites = _dataset(img, seg_map_files=[label], windows_per_site=4,
                     site_size=24)
    info = sites.get_data_info(EpochSampleIndex(5))
    seg, _ = read_raster(label, [1], info['window'], dtype='int64')
    assert info['dominant_label'] == np.bincount(
        seg[seg != 255].ravel()).argmax()


def test_site_arguments_are_checked(scene):
    img, _ = scene
    with pytest.raises(ValueError, match='divisor of num_samples'):
        _dataset(img, windows_per_site=3)
    with pytest.raises(ValueError, match='site_size must be at least'):
        _dataset(img, windows_per_site=4, site_size=8)
    with pytest.raises(ValueError, match='sites_per_round'):
        _sampler(_dataset(img, windows_per_site=4), shuffle=True)


def test_sampler_interleaves_sites_by_worker(scene):
    """Batches of 2, 2 workers, 4 windows a site: each batch holds distinct
    sites, and the 4 batches holding a site go to the same worker."""
    img, _ = scene
    dataset = _dataset(img, num_samples=32, windows_per_site=4)
    sampler = _sampler(dataset, shuffle=True, seed=3, sites_per_round=4)
    assert len(sampler) == 32
    orders = []
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        assert all(isinstance(i, EpochSampleIndex) for i in indices)
        samples = [i - 32 * epoch for i in indices]
        assert sorted(samples) == list(range(32))
        batches = [samples[b:b + 2] for b in range(0, 32, 2)]
        worker_of_site = {}
        for number, batch in enumerate(batches):
            sites = [i // 4 for i in batch]
            assert len(set(sites)) == 2
            for site in sites:
                assert worker_of_site.setdefault(site, number % 2) == \
                    number % 2
        orders.append(samples)
    assert orders[0] != orders[1]
    sampler.set_epoch(0)
    again = _sampler(dataset, shuffle=True, seed=3, sites_per_round=4)
    assert list(again) == list(sampler)


def test_sampler_shards_sites_across_ranks(scene, monkeypatch):
    """Each rank gets whole sites, none shared (the real process-group path
    is in test_window_sampler.py)."""
    import mmengine.dataset.sampler as mm_sampler
    img, _ = scene
    dataset = _dataset(img, num_samples=24, windows_per_site=4)
    by_rank = []
    for rank in (0, 1):
        monkeypatch.setattr(mm_sampler, 'get_dist_info', lambda: (rank, 2))
        sampler = _sampler(dataset, shuffle=True, seed=1, sites_per_round=2)
        assert len(sampler) == 12
        by_rank.append({i // 4 for i in sampler})
    assert not by_rank[0] & by_rank[1]
    assert by_rank[0] | by_rank[1] == set(range(6))


def test_config_derives_sites_per_round():
    def config(**sampler):
        return Config(dict(train_dataloader=dict(
            batch_size=16, num_workers=4, sampler=sampler,
            dataset=dict(type='RSTileSamplingDataset', windows_per_site=8))))

    cfg = config(type='RSWindowSampler', shuffle=True)
    interleave_site_windows(cfg)
    assert cfg.train_dataloader.sampler.sites_per_round == 64
    cfg = config(type='RSWindowSampler', sites_per_round=16)
    interleave_site_windows(cfg)
    assert cfg.train_dataloader.sampler.sites_per_round == 16
    with pytest.raises(ConfigError, match='windows_per_site=8.*'
                       'RSWindowSampler'):
        interleave_site_windows(config(type='DefaultSampler'), 'x.py')


def test_sites_beyond_the_cache_are_announced(scene, monkeypatch):
    img, _ = scene
    dataset = _dataset(img, windows_per_site=4, site_size=24)
    # 5 float32 bands and a mask byte: 24 * 24 * 21 bytes a site.
    assert dataset.site_nbytes() == 24 * 24 * 21
    monkeypatch.setattr(raster_io, 'SITE_CACHE_BYTES', 24 * 24 * 21 * 3)
    with logged_warnings() as messages:
        _sampler(dataset, sites_per_round=3)
        assert not messages
        _sampler(dataset, sites_per_round=4)
    assert len(messages) == 1
    assert messages[0].startswith(
        'RSWindowSampler: 4 sites a round (site_size 24 px) take up to '
        '0.0461 MB, more than the 0.0346 MB per process')


@TRANSFORMS.register_module(force=True)
class _RecordProcess(BaseTransform):
    """Adds the sample's index in the epoch and the id of the process that
    loaded it (test only)."""

    def transform(self, results: dict) -> dict:
        results.update(index=results['sample_idx'], pid=os.getpid())
        return results


def test_each_site_is_read_by_one_worker(scene):
    """Through a real DataLoader with 2 workers and sites_per_round =
    batch_size * num_workers, every window of a site is loaded by the same
    worker process (so the site's box is read once), and a batch holds
    distinct sites."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader
    img, _ = scene
    pipeline = [dict(type='LoadRSImageFromFile', nodata_value=0),
                dict(type='_RecordProcess'),
                dict(type='PackSelfSupInputs',
                     meta_keys=['index', 'pid'])]
    dataset = _dataset(img, num_samples=48, windows_per_site=4,
                       pipeline=pipeline)
    sampler = _sampler(dataset, shuffle=True, sites_per_round=6)
    loader = DataLoader(dataset, batch_size=3, sampler=sampler,
                        num_workers=2, collate_fn=pseudo_collate)
    pids_of_site = collections.defaultdict(set)
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        pids_of_site.clear()
        for batch in loader:
            sites = [s.index // 4 for s in batch['data_samples']]
            assert len(set(sites)) == len(sites)
            for site, sample in zip(sites, batch['data_samples']):
                pids_of_site[site].add(sample.pid)
        assert len(pids_of_site) == 12
        assert all(len(pids) == 1 for pids in pids_of_site.values())
        assert len(set.union(*pids_of_site.values())) == 2
