"""Stand-in `crictl`: real CRI calls (gRPC over the runtime socket) for version, info and ps.

The endpoint comes from --runtime-endpoint / -r, then CONTAINER_RUNTIME_ENDPOINT, then
/etc/crictl.yaml `runtime-endpoint`, then (with crictl's warning) the default endpoint list.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cri  # noqa: E402
import k8slib as k  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    try:
        with open(os.path.join(HERE, "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return "v1.34.0"


def endpoints(argv):
    for i, x in enumerate(argv):
        if x in ("-r", "--runtime-endpoint") and i + 1 < len(argv):
            return [argv[i + 1]], argv[:i] + argv[i + 2:]
        if x.startswith("--runtime-endpoint="):
            return [x.split("=", 1)[1]], argv[:i] + argv[i + 1:]
    if os.environ.get("CONTAINER_RUNTIME_ENDPOINT"):
        return [os.environ["CONTAINER_RUNTIME_ENDPOINT"]], argv
    cfg = k.read(os.environ.get("CRI_CONFIG_FILE") or "/etc/crictl.yaml")
    if cfg:
        doc = k.yaml_load(cfg) or {}
        if doc.get("runtime-endpoint"):
            return [doc["runtime-endpoint"]], argv
    sys.stderr.write('WARN[0000] runtime connect using default endpoints: [%s]. As the default settings are now '
                     'deprecated, you should set the endpoint instead.\n' % " ".join(cri.KNOWN_SOCKETS))
    return list(cri.KNOWN_SOCKETS), argv


def fatal(msg):
    k.die('FATA[0000] %s' % msg)


def first_answer(eps, fn):
    last = None
    for ep in eps:
        try:
            return ep, fn(ep)
        except cri.CriError as e:
            last = 'validate service connection: validate CRI v1 runtime API for endpoint "%s": %s' % (ep, e)
    fatal(last)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    eps, argv = endpoints(argv)
    cmd = next((x for x in argv if not x.startswith("-")), None)
    if cmd == "version":
        _, v = first_answer(eps, cri.version)
        print("Version:  %s\nRuntimeName:  %s\nRuntimeVersion:  %s\nRuntimeApiVersion:  %s" % (
            v["version"], v["runtimeName"], v["runtimeVersion"], v["runtimeApiVersion"]))
    elif cmd == "info":
        _, st = first_answer(eps, cri.status)
        out = {"status": {"conditions": st["conditions"]}}
        for key, val in st["info"].items():
            try:
                out[key] = json.loads(val)
            except ValueError:
                out[key] = val
        print(json.dumps(out, indent=2))
    elif cmd == "ps":
        _, cs = first_answer(eps, cri.list_containers)
        want_all = "-a" in argv or "--all" in argv
        if "-q" in argv:
            for c in cs:
                if want_all or c["state"] == "CONTAINER_RUNNING":
                    print(c["id"])
            return
        print("%-15s %-15s %-15s %-10s %-20s %-8s %-15s %s" % ("CONTAINER", "IMAGE", "CREATED", "STATE", "NAME",
                                                              "ATTEMPT", "POD ID", "POD"))
        for c in cs:
            if want_all or c["state"] == "CONTAINER_RUNNING":
                print("%-15s %-15s %-15s %-10s %-20s %-8s %-15s %s" % (
                    c["id"][:13], c["image"][:13], "-", c["state"].replace("CONTAINER_", "").title(), c["name"],
                    c["attempt"], c["podSandboxId"][:13], ""))
    elif cmd == "--version" or "--version" in argv or "-v" in argv:
        print("crictl version %s" % version())
    else:
        fatal('the stand-in crictl supports only "version", "info" and "ps" (got %s)' % (cmd or "no command"))


if __name__ == "__main__":
    main()
