# A gdb command for the tests that compare Hyperstep's C view with gdb's: `hsframes` prints one
# line, "HSFRAMES " and JSON: every frame from the newest (function, pc, line, whether the function
# has debugging information) with the arguments and locals in scope at its pc, each as gdb prints
# its value.
import json
import gdb


def scope(frame):
    values = {}
    try:
        block = frame.block()
    except RuntimeError:
        return values
    while block is not None:
        for sym in block:
            if (sym.is_argument or sym.is_variable) and sym.name not in values:
                try:
                    values[sym.name] = str(sym.value(frame))
                except gdb.error as e:
                    values[sym.name] = "<error: %s>" % e
        if block.function is not None:
            break
        block = block.superblock
    return values


class Frames(gdb.Command):
    def __init__(self):
        super().__init__("hsframes", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        frames = []
        frame = gdb.newest_frame()
        while frame is not None and len(frames) < 16:
            sal = frame.find_sal()
            frames.append({
                "name": frame.name(),
                "pc": "0x%x" % frame.pc(),
                "line": sal.line if sal.symtab else 0,
                "c": frame.function() is not None,
                "vars": scope(frame),
            })
            try:
                frame = frame.older()
            except gdb.error:
                break
        print("HSFRAMES " + json.dumps(frames))


Frames()
