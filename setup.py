"""Install false-plugin (``pip install -e .`` in a checkout, or ``pip install
.``): the packages ``false_plugin`` (the library) and ``false_plugin_cli``
(its command lines, also the console scripts below)."""
from setuptools import find_packages, setup


def read_version() -> str:
    """Read ``__version__`` from ``false_plugin/version.py``."""
    namespace: dict = {}
    with open('false_plugin/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


#: Console script -> its module in false_plugin_cli (the same command as
#: tools/<module>.py, tools/dataset_converters/<module>.py ...).
CONSOLE_SCRIPTS = {
    'false-train': 'train',
    'false-test': 'test',
    'false-benchmark': 'benchmark',
    'false-predict': 'predict',
    'false-extract-backbone': 'extract_backbone',
    'false-convert-geotiff': 'geotiff',
    'false-convert-tile-folders': 'tile_folders',
    'false-convert-potsdam': 'potsdam',
    'false-convert-deepglobe': 'deepglobe',
    'false-make-split': 'make_split',
}

setup(
    name='false-plugin',
    version=read_version(),
    description=('FALSE (false-negative-samples-aware contrastive learning) '
                 'for remote-sensing segmentation, as an OpenMMLab plugin'),
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(
        exclude=('tests', 'tests.*', 'tools', 'tools.*', 'configs')),
    python_requires='>=3.10',
    install_requires=[
        'torch>=2.1',
        'torchvision',
        'mmengine==0.10.7',
        'mmcv==2.0.1',
        'mmcls==1.0.0rc6',
        'mmselfsup==1.0.0',
        'mmsegmentation==1.2.2',
        'rasterio>=1.4,<1.5',
        'numpy',
        'matplotlib',
    ],
    entry_points={
        'console_scripts': [
            f'{script} = false_plugin_cli.{module}:main'
            for script, module in CONSOLE_SCRIPTS.items()
        ]
    },
    zip_safe=False,
)
