"""What a simulated host answers: a table of command outputs keyed by tool (and argument)."""
import string


class HostProfile:
    """A host's tools and their canned outputs.

    ``outputs`` maps "tool" or "tool arg" to a string.Template text; a tool is present on the host
    exactly when some key starts with it. ``aliases`` maps argument spellings to the key's spelling
    (``ip a`` -> ``ip address``).
    """

    platform = "Linux"

    def __init__(self, outputs, aliases=None, filler_lines=()):
        self.outputs = {self.fold(key): text for key, text in outputs.items()}
        self.aliases = {self.fold(key): value for key, value in (aliases or {}).items()}
        self.tools = {key.split(" ", 1)[0] for key in self.outputs}
        self.filler_lines = filler_lines

    @staticmethod
    def fold(word):
        return word

    def has(self, tool):
        return self.fold(tool) in self.tools

    def output(self, tool, args, context):
        """The tool's output for these arguments (empty when the table has no entry), or None when the tool is missing."""
        tool = self.fold(tool)
        if tool not in self.tools:
            return None
        for arg in args:
            arg = self.fold(arg)
            text = self.outputs.get(f"{tool} {self.aliases.get(f'{tool} {arg}', arg)}")
            if text is not None:
                return string.Template(text).safe_substitute(context)
        return string.Template(self.outputs.get(tool, "")).safe_substitute(context)

    def not_found(self, tool):
        return f"sh: 1: {tool}: not found\n"

    def defines_function(self, line):
        return "() {" in line

    def filler(self, size, context):
        """Realistic text of at least ``size`` characters (log lines), to make large outputs on demand."""
        lines, total, number = [], 0, 0
        while total < size:
            line = string.Template(self.filler_lines[number % len(self.filler_lines)]).safe_substitute(context, n=number)
            lines.append(line)
            total += len(line)
            number += 1
        return "".join(lines)
