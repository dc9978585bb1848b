"""GeoTIFF access by window: read any window of a (tiled or stripped, compressed) TIFF by
decoding only the segments it touches, write a tiled GeoTIFF from a tile iterator, and
carry the georeferencing tags from an input scene to the outputs derived from it."""
import math
import os
import os.path as osp

import numpy as np
import tifffile

# Georeferencing tags copied to outputs: ModelPixelScale, ModelTiepoint,
# ModelTransformation, GeoKeyDirectory, GeoDoubleParams, GeoAsciiParams.
GEO_TAGS = {33550: 'd', 33922: 'd', 34264: 'd', 34735: 'H', 34736: 'd', 34737: 's'}
GDAL_NODATA = 42113
# Tags that must agree between co-registered inputs (the raster-to-map transform).
GEOREFERENCE_TAGS = (33550, 33922, 34264, 34735, 34736, 34737)


def _tag_value(page, code):
    tag = page.tags.get(code)
    if tag is None:
        return None
    value = tag.value
    if isinstance(value, bytes):
        value = value.decode('ascii', 'replace')
    if isinstance(value, str):
        return value.rstrip('\x00')
    return tuple(np.asarray(value).ravel().tolist())


class GeoTiffReader:
    """Random access to windows of the first image of a TIFF, segment by segment.

    Only the strips / tiles that a window overlaps are read and decoded (tifffile's
    segment decoder, with imagecodecs for LZW, Deflate, JPEG, ZSTD and predictors), so the
    memory of a read depends on the window, not on the scene. Pixel-interleaved and
    band-interleaved (planar) layouts are both handled.

    Args:
        path (str): TIFF file.

    Attributes:
        shape (tuple[int]): ``(H, W)`` or ``(H, W, C)``, as ``tifffile.imread`` returns.
        dtype (np.dtype): Sample type.
        geo_tags (dict[int, tuple | str]): Georeferencing tags present in the file.
        nodata (float | None): GDAL_NODATA value.
    """

    def __init__(self, path):
        self.path = str(path)
        if not osp.isfile(self.path):
            raise FileNotFoundError(f'scene file {self.path} does not exist')
        try:
            self._tif = tifffile.TiffFile(self.path)
        except (tifffile.TiffFileError, ValueError) as error:
            raise ValueError(f'{self.path} is not a readable TIFF: {error}') from error
        page = self._tif.pages.first
        if page.imagedepth > 1:
            self.close()
            raise ValueError(f'{self.path}: volumetric TIFFs (depth {page.imagedepth}) '
                             'are not supported')
        self._page = page
        height, width, samples = page.imagelength, page.imagewidth, page.samplesperpixel
        self.shape = (height, width) if samples == 1 else (height, width, samples)
        self.dtype = page.dtype
        self.geo_tags = {code: _tag_value(page, code) for code in GEO_TAGS
                         if code in page.tags}
        nodata = _tag_value(page, GDAL_NODATA)
        self.nodata = None if nodata in (None, '') else float(nodata)
        if page.is_tiled:
            self._seg_shape = (page.tilelength, page.tilewidth)
        else:
            self._seg_shape = (min(page.rowsperstrip, height), width)
        self._grid = (math.ceil(height / self._seg_shape[0]),
                      math.ceil(width / self._seg_shape[1]))
        self._planes = samples if page.planarconfig == 2 else 1

    @property
    def height(self):
        return self.shape[0]

    @property
    def width(self):
        return self.shape[1]

    @property
    def channels(self):
        return 1 if len(self.shape) == 2 else self.shape[2]

    def georeference(self):
        """The tags that place the raster on the map (empty for a plain TIFF)."""
        return {code: self.geo_tags[code] for code in GEOREFERENCE_TAGS
                if code in self.geo_tags}

    def read(self, y, x, h, w):
        """Pixels ``[y:y+h, x:x+w]`` as ``(h, w)`` or ``(h, w, C)`` of the file's dtype."""
        if y < 0 or x < 0 or h <= 0 or w <= 0 or y + h > self.height or x + w > self.width:
            raise ValueError(f'window (y={y}, x={x}, h={h}, w={w}) is outside '
                             f'{self.path} ({self.height}x{self.width})')
        page, (seg_h, seg_w) = self._page, self._seg_shape
        out = np.zeros((h, w, self.channels), self.dtype)
        if self.nodata is not None and np.can_cast(np.min_scalar_type(self.nodata),
                                                   self.dtype):
            out[:] = self.nodata  # empty (sparse) segments hold nodata
        decode, handle = page.decode, self._tif.filehandle
        rows = range(y // seg_h, (y + h - 1) // seg_h + 1)
        cols = range(x // seg_w, (x + w - 1) // seg_w + 1)
        for plane in range(self._planes):
            for row in rows:
                for col in cols:
                    index = (plane * self._grid[0] + row) * self._grid[1] + col
                    offset, count = page.dataoffsets[index], page.databytecounts[index]
                    data = None
                    if count:
                        with handle.lock:
                            handle.seek(offset)
                            data = handle.read(count)
                    segment, (_, _, top, left, _), _ = decode(
                        data, index, jpegtables=page.jpegtables)
                    if segment is None:
                        continue
                    segment = segment[0]  # (rows, cols, samples) of this plane
                    y0, x0 = max(y, top), max(x, left)
                    y1 = min(y + h, top + segment.shape[0])
                    x1 = min(x + w, left + segment.shape[1])
                    part = segment[y0 - top:y1 - top, x0 - left:x1 - left]
                    target = out[y0 - y:y1 - y, x0 - x:x1 - x]
                    if self._planes > 1:
                        target[..., plane] = part[..., 0]
                    else:
                        target[...] = part
        return out[..., 0] if len(self.shape) == 2 else out

    def close(self):
        self._tif.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_coregistered(readers):
    """Raise naming the files when the scenes differ in size or georeferencing.

    Args:
        readers (dict[str, GeoTiffReader]): The inputs of one prediction, by name.
    """
    names = list(readers)
    ref = readers[names[0]]
    for name in names[1:]:
        other = readers[name]
        if other.shape[:2] != ref.shape[:2]:
            raise ValueError(
                f'scene sizes differ: {names[0]} {ref.path} is {ref.height}x{ref.width} '
                f'but {name} {other.path} is {other.height}x{other.width} (HxW); the '
                'inputs must be co-registered on the same pixel grid')
        if other.georeference() != ref.georeference():
            raise ValueError(
                f'georeferencing differs: {names[0]} {ref.path} has '
                f'{ref.georeference()} but {name} {other.path} has {other.georeference()}; '
                'the inputs must be co-registered on the same pixel grid')


def geotiff_extratags(geo_tags, nodata=None):
    """tifffile ``extratags`` writing ``geo_tags`` (and GDAL_NODATA when given)."""
    tags = []
    for code, value in sorted(geo_tags.items()):
        kind = GEO_TAGS[code]
        if kind == 's':
            tags.append((code, 's', 0, value, True))
        else:
            tags.append((code, kind, len(value), value, True))
    if nodata is not None:
        tags.append((GDAL_NODATA, 's', 0, str(nodata), True))
    return tags


def palette_colormap(palette):
    """TIFF ColorMap ``(3, 256)`` uint16 from a dataset palette (list of RGB)."""
    colormap = np.zeros((3, 256), np.uint16)
    for index, color in enumerate(palette[:256]):
        colormap[:, index] = np.asarray(color[:3], np.uint16) * 257
    return colormap


def write_geotiff_tiles(path, tiles, shape, dtype, tile_size, geo_tags=None, nodata=None,
                        palette=None, compression='zlib'):
    """Write a tiled GeoTIFF from an iterator of tiles (row-major), keeping the tags.

    The file is first written as ``<path>.part`` and renamed when complete, so a failure
    leaves no half-written output.

    Args:
        path (str): Output file.
        tiles (Iterator[np.ndarray]): ``tile_size x tile_size [x C]`` blocks, row-major
            (tifffile pads the blocks at the right and bottom edges).
        shape (tuple[int]): ``(H, W)`` or ``(H, W, C)`` of the image.
        dtype (np.dtype): Sample type.
        tile_size (int): Tile side, a multiple of 16.
        geo_tags (dict, optional): Georeferencing tags (:attr:`GeoTiffReader.geo_tags`).
        nodata (float | str, optional): GDAL_NODATA value.
        palette (list, optional): RGB per class: written as a palette (colormap) image.
        compression (str): tifffile compression. Defaults to 'zlib' (Deflate).
    """
    if tile_size % 16:
        raise ValueError(f'TIFF tiles must be multiples of 16 pixels, got {tile_size}')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    part = f'{path}.part'
    extra = dict(photometric='minisblack')
    if len(shape) == 3:  # pixel-interleaved bands
        extra = dict(photometric='rgb' if shape[2] == 3 else 'minisblack',
                     planarconfig='contig')
    if palette is not None:
        extra = dict(photometric='palette', colormap=palette_colormap(palette))
    bigtiff = int(np.prod(shape)) * np.dtype(dtype).itemsize > 2**32 - 2**25
    try:
        with tifffile.TiffWriter(part, bigtiff=bigtiff) as writer:
            writer.write(tiles, shape=tuple(shape), dtype=dtype, tile=(tile_size, tile_size),
                         compression=compression,
                         extratags=geotiff_extratags(geo_tags or {}, nodata), **extra)
        os.replace(part, path)
    finally:
        if osp.exists(part):
            os.remove(part)


def _geokeys(geo_tags):
    """``{key id: value}`` of the GeoKeyDirectory (values stored in the directory only)."""
    directory = geo_tags.get(34735)
    if not directory:
        return {}
    keys = {}
    for i in range(4, 4 + 4 * int(directory[3]), 4):
        key, location, _, value = directory[i:i + 4]
        if location == 0:
            keys[key] = value
    return keys


def epsg_code(geo_tags):
    """EPSG code of the CRS (projected, else geographic), or None."""
    keys = _geokeys(geo_tags)
    for key in (3072, 2048):  # ProjectedCSTypeGeoKey, GeographicTypeGeoKey
        if keys.get(key) not in (None, 0, 32767):  # 32767: user-defined
            return int(keys[key])
    return None


def pixel_to_map(geo_tags):
    """Function ``(col, row) -> (X, Y)`` from pixel corner coordinates to map coordinates.

    Uses ModelTransformation, else ModelTiepoint + ModelPixelScale; None for a plain TIFF.
    Point rasters (RasterPixelIsPoint) are shifted by half a pixel, as GDAL does.
    """
    shift = 0.5 if _geokeys(geo_tags).get(1025) == 2 else 0.0
    if 34264 in geo_tags:
        m = geo_tags[34264]
        return lambda col, row: (m[0] * (col - shift) + m[1] * (row - shift) + m[3],
                                 m[4] * (col - shift) + m[5] * (row - shift) + m[7])
    if 33922 in geo_tags and 33550 in geo_tags:
        i, j, _, tx, ty, _ = geo_tags[33922][:6]
        sx, sy = geo_tags[33550][:2]
        return lambda col, row: (tx + (col - shift - i) * sx, ty - (row - shift - j) * sy)
    return None


def write_geotiff(path, array, geo_tags=None, nodata=None, tile=None, **kwargs):
    """Write a whole array as a (tiled) GeoTIFF with ``geo_tags`` (synthetic scenes)."""
    extra = dict(tile=(tile, tile)) if tile else {}
    tifffile.imwrite(path, array, extratags=geotiff_extratags(geo_tags or {}, nodata),
                     photometric='rgb' if array.ndim == 3 and array.shape[2] == 3 else
                     'minisblack', **extra, **kwargs)


def utm_geo_tags(x0=500000.0, y0=4000000.0, pixel=0.5, epsg=32633):
    """Georeferencing tags of a north-up UTM raster (for synthetic scenes and tests)."""
    return {
        33550: (pixel, pixel, 0.0),
        33922: (0.0, 0.0, 0.0, x0, y0, 0.0),
        # GeoKeyDirectory: version 1.1.0, 3 keys: model type projected, raster pixel is
        # area, projected CRS = EPSG code.
        34735: (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, epsg),
    }
