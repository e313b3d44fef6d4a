"""Reading flattened query-protocol parameters (Name.1, Name.member.1.Key ...)."""


def numbered(params, prefix):
    """Values of prefix.1, prefix.2 ... in order."""
    values, index = [], 1
    while f"{prefix}.{index}" in params:
        values.append(params[f"{prefix}.{index}"])
        index += 1
    return values


def numbered_structs(params, prefix):
    """[{field: value}] of prefix.1.Field, prefix.2.Field ... in order."""
    items, index = [], 1
    while any(key.startswith(f"{prefix}.{index}.") for key in params):
        head = f"{prefix}.{index}."
        items.append({key[len(head):]: value for key, value in params.items() if key.startswith(head)})
        index += 1
    return items


def is_true(value):
    return str(value).lower() == "true"
