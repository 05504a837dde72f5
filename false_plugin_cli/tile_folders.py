"""Cut folders of labelled image tiles into a dataset, split by group.

    python tools/dataset_converters/tile_folders.py SRC OUT_DIR \
        --images 'Tile */images/*.jpg' --mask-from images/=masks/ .jpg=.png \
        --group '^Tile (\\d+)/' \
        --split train=1,3,5,6 --split val_tiles=2 --split test_tiles=4 \
        --whole val_tiles test_tiles --class-table classes.csv \
        --mask-colors --ignore-colors Unlabeled=155,155,155 black=0,0,0 \
        [--patch-size 256] [--stride 256] [--min-valid 0.5] \
        [--label-map RAW=INDEX ...] [--unmapped error|ignore] \
        [--ignore-255] [--format tif|png] [--overwrite]

Finds every image matching ``--images`` under SRC, its mask by the
``--mask-from`` substitutions of its path (``_sat.jpg=_mask.png`` for
DeepGlobe's layout) and its group by ``--group`` (a regular expression on
the relative path; its first group, default the top folder). Each
``--split NAME=G1,G2`` takes the tiles of those groups: split by area, never
by part, or neighbouring parts leak into the test set. Tiles of groups in no
split are set aside and counted. Writes ``OUT_DIR/img_dir/SPLIT/*.tif``
(the image's bands, dtype and nodata; ``--format png``: ``*.png``, for
8/16-bit grey or RGB without georeference), ``OUT_DIR/ann_dir/SPLIT/*.tif``
(uint8 class indices, 255 ignored), ``manifest_SPLIT.csv`` and
``classes.csv``; splits named by ``--whole`` are written as whole tiles (for
sliding-window evaluation), the others cut into patches. The summary counts
the pixels of each class and those ignored by cause, each ignored colour by
name. Masks are RGB colour masks with ``--mask-colors`` (the class table's
colours), else value masks (indices, or raw values mapped by the table's
``value`` column or ``--label-map``, not both); their values are checked
before anything is written, and a 0/255 (or 0/1/255) value mask without a
label map is an error unless ``--ignore-255`` says that 255 means "no
label". Each mask must lie on its image's grid (size, and CRS and
geotransform where both have them; the summary counts the tiles compared
by size only). Re-running skips finished tiles (unless their files
changed, or ``--overwrite``) and restarts a tile an interrupted run left
unfinished; ``OUT_DIR/tile_splits.json`` records each split's groups and
cutting, and a re-run with others stops before writing anything (convert
into a new folder: the old patches would stay, a tile in two splits).
"""
import argparse
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence

from .geotiff import check_cutting


def parse_splits(parser: argparse.ArgumentParser, items: Sequence[str],
                 whole: Sequence[str]) -> Dict[str, List[str]]:
    """``['train=1,3', 'val=2']`` -> ``{'train': ['1', '3'], 'val':
    ['2']}``; a malformed item, a split named twice or a ``--whole`` split
    that is none of them is a usage error."""
    splits = {}
    for item in items:
        name, sep, groups = item.partition('=')
        groups = [g.strip() for g in groups.split(',')]
        if not sep or not name or not all(groups):
            parser.error(f'--split "{item}" is not NAME=G1,G2')
        if name in splits:
            parser.error(f'--split {name} is given twice; list all its '
                         f'groups in one: {name}=' +
                         ','.join(splits[name] + groups))
        splits[name] = groups
    unknown = [s for s in whole if s not in splits]
    if unknown:
        parser.error(f'--whole {unknown}: not among the splits '
                     f'{list(splits)}')
    return splits


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments, checked as far as no data is needed; ``splits`` holds
    the parsed ``--split`` items (:func:`parse_splits`)."""
    parser = argparse.ArgumentParser(
        prog='tile_folders.py', description=__doc__.split('\n')[0])
    parser.add_argument('src', help='the folder of image and mask tiles')
    parser.add_argument('out_dir', help='dataset root to write into')
    parser.add_argument('--images', required=True,
                        help="glob of the images under SRC, e.g. "
                        "'*/images/*.jpg' (quote it)")
    parser.add_argument('--mask-from', nargs='+', required=True,
                        metavar='OLD=NEW',
                        help='substitutions of an image path that give its '
                        'mask path, in order')
    parser.add_argument('--group', default=r'^([^/]+)/',
                        help='regular expression on the relative image path '
                        'naming its group (default: the top folder)')
    parser.add_argument('--split', action='append', required=True,
                        metavar='NAME=G1,G2', help='a split and its groups')
    parser.add_argument('--whole', nargs='*', default=[], metavar='SPLIT',
                        help='splits written as whole tiles')
    parser.add_argument('--class-table', required=True,
                        help='name,index,r,g,b[,value] CSV')
    parser.add_argument('--mask-colors', action='store_true',
                        help='masks are RGB, coloured as the class table')
    parser.add_argument('--ignore-colors', nargs='+', default=[],
                        metavar='[NAME=]R,G,B',
                        help='colours of no class (ignored and counted)')
    parser.add_argument('--label-map', nargs='+', metavar='RAW=INDEX',
                        help='raw mask value -> class index')
    parser.add_argument('--unmapped', choices=['error', 'ignore'],
                        default='error')
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, default=None,
                        help='defaults to the patch size')
    parser.add_argument('--format', choices=['tif', 'png'], default='tif',
                        help='patch files: GeoTIFF (default; any bands, '
                        'dtype, georeference) or PNG (8/16-bit grey or RGB '
                        'without georeference: faster to read)')
    parser.add_argument('--min-valid', type=float, default=0.5,
                        help='minimum fraction of labelled pixels of a patch')
    parser.add_argument('--ignore-255', action='store_true',
                        help='255 in value masks without a label map means '
                        '"no label" (else a 0/255 mask is an error)')
    parser.add_argument('--overwrite', action='store_true',
                        help='convert finished tiles again (with other '
                        'options; the splits must stay the same: other '
                        'splits go into a new folder)')
    args = parser.parse_args(argv)
    check_cutting(parser, args)
    if args.mask_colors and args.label_map:
        parser.error('--label-map maps the values of value masks; colour '
                     'masks (--mask-colors) take their classes from the '
                     "class table's colours")
    if args.ignore_colors and not args.mask_colors:
        parser.error('--ignore-colors needs colour masks (--mask-colors)')
    args.splits = parse_splits(parser, args.split, args.whole)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from false_plugin.datasets import RasterReadError, read_class_table
    from false_plugin.datasets.label_values import resolve_label_map
    from false_plugin.conversion.tile_folders import (
        TileFolderConverter, assign_splits, find_tile_pairs, parse_colors,
        parse_substitutions, record_split_assignment, split_assignment)
    splits = args.splits
    try:
        table = read_class_table(args.class_table)
        label_map = resolve_label_map(args.label_map, table.label_map,
                                      args.class_table)
        pairs = find_tile_pairs(args.src, args.images,
                                parse_substitutions(args.mask_from),
                                args.group)
        by_split, set_aside = assign_splits(pairs, splits)
        converter = TileFolderConverter(
            args.src, args.out_dir, len(table.classes),
            palette=table.palette if args.mask_colors else None,
            ignore_colors=parse_colors(args.ignore_colors),
            label_map=None if args.mask_colors else label_map,
            unmapped=args.unmapped,
            min_valid=args.min_valid, image_format=args.format,
            ignore_255=args.ignore_255, overwrite=args.overwrite)
        converter.check_labels([t for tiles in by_split.values()
                                for t in tiles])
        assignment = split_assignment(splits, args.patch_size, args.stride,
                                      args.whole)
        record_split_assignment(args.out_dir, assignment)  # first writing
    except (ValueError, FileNotFoundError, RasterReadError) as err:
        raise SystemExit(f'error: {err}')
    shutil.copy(args.class_table, osp.join(args.out_dir, 'classes.csv'))
    groups = sorted({p.group for p in pairs})
    print(f'{args.src}: {len(pairs)} tiles in {len(groups)} groups; '
          + '; '.join(f'{s}: {len(t)} tiles (groups {", ".join(splits[s])})'
                      for s, t in by_split.items())
          + (f'; set aside (no split): {len(set_aside)} tiles of groups '
             f'{", ".join(sorted({p.group for p in set_aside}))}'
             if set_aside else ''), flush=True)
    for split, tiles in by_split.items():
        spec = assignment[split]
        try:  # a tile's data (an unknown colour...): its file, no traceback
            summary = converter.convert(
                split, tiles, spec['patch_size'], spec['stride'],
                log=lambda line: print(line, flush=True))
        except (ValueError, RasterReadError) as err:
            raise SystemExit(f'error: {err}')
        print(summary.format(split, table.classes), flush=True)


if __name__ == '__main__':
    main()
