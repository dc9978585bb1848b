from setuptools import find_packages, setup


def parse_requirements(path):
    """Requirement lines of ``path``, skipping comments and ``-r`` includes."""
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith(('#', '-'))]


def get_version():
    namespace = {}
    with open('mars/version.py') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mars-bench',
    version=get_version(),
    description='OpenMMLab-style toolbox to fine-tune, benchmark and pretrain the MaRS '
                'RGB+SAR remote-sensing foundation model',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
    python_requires='>=3.11',
    # mmengine and mmcv (requirements/mminstall.txt) are installed by tools/misc/setup_env.sh:
    # mmcv needs a wheel compiled against torch 2.14, mmengine would pull the GUI OpenCV build.
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require=dict(tests=parse_requirements('requirements/tests.txt')),
    license='Apache-2.0',
)
