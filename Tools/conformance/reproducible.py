"""Byte-reproducible Keras 3 files. Standard library only, so that scripts outside the generator
(Tools/fixtures/make_op_fixtures.py) can import it without tf_keras."""
import json
import zipfile


def reproducible_archive(path):
    """Rewrites a .keras archive so that saving the same model twice gives the same bytes: members in
    Keras' order and compression, each dated 1980-01-01 (Keras dates model.weights.h5 with the clock),
    metadata.json's `date_saved` fixed, and config.json's `shared_object_id`s (Python object
    addresses) renumbered 1, 2, ... in order of appearance, which keeps which objects are shared."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    numbers = {}

    def renumber(value):
        if isinstance(value, dict):
            return {k: numbers.setdefault(v, len(numbers) + 1) if k == "shared_object_id" else renumber(v)
                    for k, v in value.items()}
        return [renumber(v) for v in value] if isinstance(value, list) else value

    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = "1980-01-01@00:00:00"
                data = json.dumps(meta).encode()
            elif info.filename == "config.json":
                data = json.dumps(renumber(json.loads(data))).encode()
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed_info.compress_type = info.compress_type
            fixed_info.external_attr = info.external_attr
            z.writestr(fixed_info, data)
