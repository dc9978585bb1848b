"""COCO categories by name: shared by the detection datasets and the COCO metric."""


def cat_ids_by_name(coco, class_names, source='annotation file'):
    """COCO category ids of ``class_names``, in the order of ``class_names``.

    mmdet's ``get_cat_ids(cat_names=...)`` returns ids in the order the json lists its
    categories, whatever the order of ``classes``: with another order (or shuffled ids)
    label ``k`` silently stops meaning ``classes[k]``. This keeps ``classes`` order.

    Args:
        coco (COCO): Loaded COCO api (``coco.cats``: id -> category dict).
        class_names (Sequence[str]): Class names; label ``k`` is ``class_names[k]``.
        source (str): Name of the annotation file, for error messages.

    Returns:
        list[int]: One category id per class name.

    Raises:
        ValueError: A name is listed by several categories, or a class is not in the file.
    """
    ids_of = {}
    for cat_id, category in coco.cats.items():
        name = category['name']
        if name in ids_of:
            raise ValueError(f'{source}: category name {name!r} is used by ids '
                             f'{ids_of[name]} and {cat_id}; names must be unique')
        ids_of[name] = cat_id
    missing = [name for name in class_names if name not in ids_of]
    if missing:
        raise ValueError(f'{source}: classes {missing} are not among its categories '
                         f'{sorted(ids_of)}')
    return [ids_of[name] for name in class_names]
