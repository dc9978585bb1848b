"""The MaRS pretraining input statistics, once for the code.

Configs read the same numbers from ``configs/_base_/models/mars_archs.py`` (``mars_norm``);
tests/test_configs/test_normalization_constants.py keeps the two equal.
"""

# MaRS-16M optical patches, uint8 RGB on the 0-255 scale (R, G, B).
MARS_RGB_NORM = dict(mean=(87.01, 91.52, 83.51), std=(62.66, 54.58, 53.11))
# MaRS-16M Umbra SAR patches (uint8, one band): the SAR statistics downstream configs use.
MARS_UMBRA_SAR_NORM = dict(mean=(36.42, ), std=(33.89, ))
# MaRS-16M Capella SAR patches (uint16 raw DN, one band): pretraining only.
MARS_CAPELLA_SAR_NORM = dict(mean=(2353.35, ), std=(4327.07, ))
