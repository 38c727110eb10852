"""Stand-in `kubectl`: a real HTTPS client of the stand-in API (client certificate from the kubeconfig).

Supported: get nodes|pods (-o json|wide|name, -A, -n), apply -f <file|URL|->, drain, cordon, uncordon,
delete node, cluster-info, version. Anything else fails with a clear "not supported by the stand-in".
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8slib as k  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    try:
        with open(os.path.join(HERE, "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return os.environ.get("STANDIN_VERSION", "v1.34.1")


def die(msg):
    k.die(msg)


def load_kubeconfig(explicit):
    candidates = [explicit] if explicit else \
        [p for p in (os.environ.get("KUBECONFIG") or "").split(":") if p] or \
        [os.path.join(os.path.expanduser("~"), ".kube", "config")]
    for p in candidates:
        full = p if os.path.isabs(p) else os.path.abspath(p)
        if os.path.exists(full):
            try:
                with open(full, encoding="utf-8") as f:
                    return k.Kubeconfig(k.yaml_load(f.read()), full)
            except (ValueError, k.YamlError) as e:
                die("error: error loading config file \"%s\": %s" % (full, e))
            except PermissionError:
                die('error: error loading config file "%s": open %s: permission denied' % (full, full))
    if explicit:
        die('error: stat %s: no such file or directory' % explicit)
    die("The connection to the server localhost:8080 was refused - did you specify the right host or port?")


class Cli:
    def __init__(self, a):
        self.a = a
        self.kc = load_kubeconfig(a.kubeconfig)
        self.api = self.kc.client(timeout=15)

    def call(self, method, url, body=None):
        try:
            return self.api.request(method, url, body)
        except k.ApiError as e:
            if e.status == 401:
                die("error: You must be logged in to the server (Unauthorized)")
            die("Error from server (%s): %s" % ((e.body or {}).get("reason") or e.status, e))
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            die("Unable to connect to the server: %s" % k.describe_conn_error(self.kc.server, url, e).split(": ", 1)[1])


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("   ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def node_status_text(n):
    c = n["status"]["conditions"][0]
    text = "Ready" if c["status"] == "True" else "NotReady"
    return text + (",SchedulingDisabled" if n["spec"].get("unschedulable") else "")


def emit(items, kind, output, rows_fn, single=False):
    if output == "json":
        print(json.dumps(items[0] if single else {"apiVersion": "v1", "kind": "List", "items": items,
                                                  "metadata": {"resourceVersion": ""}}, indent=4))
    elif output == "yaml":
        print(k.yaml_dump(items[0] if single else {"apiVersion": "v1", "kind": "List", "items": items}), end="")
    elif output == "name":
        for it in items:
            print("%s/%s" % (kind, it["metadata"]["name"]))
    elif not items:
        sys.stderr.write("No resources found\n")
    else:
        table(rows_fn(items, output == "wide"))


def get(cli, a):
    res = a.resource.lower()
    if res in ("node", "nodes", "no"):
        if a.name:
            items = [cli.call("GET", "/api/v1/nodes/" + a.name)]
        else:
            items = cli.call("GET", "/api/v1/nodes")["items"]

        def rows(items, wide):
            head = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
            if wide:
                head += ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
            out = [head]
            for n in items:
                roles = ",".join(sorted(x.split("/", 1)[1] for x in n["metadata"]["labels"]
                                        if x.startswith("node-role.kubernetes.io/"))) or "<none>"
                info = n["status"].get("nodeInfo", {})
                r = [n["metadata"]["name"], node_status_text(n), roles,
                     k.human_age(n["metadata"]["creationTimestamp"]), info.get("kubeletVersion") or "<none>"]
                if wide:
                    ip = next((x["address"] for x in n["status"].get("addresses", []) if x["type"] == "InternalIP"),
                              "<none>")
                    r += [ip, "<none>", info.get("osImage", "<unknown>"), info.get("kernelVersion", "<unknown>"),
                          info.get("containerRuntimeVersion", "<unknown>")]
                out.append(r)
            return out
        emit(items, "node", a.output, rows, single=bool(a.name))
    elif res in ("pod", "pods", "po"):
        url = "/api/v1/pods" if a.all_namespaces else "/api/v1/namespaces/%s/pods" % (a.namespace or "default")
        if a.field_selector:
            url += "?fieldSelector=" + urllib.request.quote(a.field_selector)
        items = cli.call("GET", url)["items"]
        if a.name:
            items = [p for p in items if p["metadata"]["name"] == a.name]
            if not items:
                die('Error from server (NotFound): pods "%s" not found' % a.name)

        def rows(items, wide):
            head = (["NAMESPACE"] if a.all_namespaces else []) + ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
            if wide:
                head += ["IP", "NODE"]
            out = [head]
            for p in items:
                cs = p["status"].get("containerStatuses", [])
                ready = "%d/%d" % (sum(1 for c in cs if c["ready"]), len(p["spec"]["containers"]))
                r = ([p["metadata"]["namespace"]] if a.all_namespaces else []) + [
                    p["metadata"]["name"], ready, p["status"]["phase"], "0",
                    k.human_age(p["metadata"].get("creationTimestamp"))]
                if wide:
                    r += [p["status"].get("podIP", "<none>"), p["spec"].get("nodeName", "<none>")]
                out.append(r)
            return out
        emit(items, "pod", a.output, rows, single=bool(a.name) and a.output in ("json", "yaml"))
    elif res in ("configmap", "configmaps", "cm"):
        # The API serves kube-system's kubeadm-config, kubelet-config and kube-proxy (what kubeadm reads back).
        if not a.name:
            die("error: the stand-in kubectl gets only a named ConfigMap (kubectl -n kube-system get configmap NAME)")
        ns = a.namespace or "default"
        items = [cli.call("GET", "/api/v1/namespaces/%s/configmaps/%s" % (ns, a.name))]
        emit(items, "configmap", a.output, lambda items, wide: [["NAME", "DATA", "AGE"]] + [
            [i["metadata"]["name"], str(len(i.get("data", {}))), "<unknown>"] for i in items], single=True)
    else:
        die('error: the stand-in kubectl does not support resource type "%s"' % a.resource)


def apply(cli, a):
    if not a.filename:
        die("error: must specify one of -f and -k")
    texts = []
    for f in a.filename:
        if f == "-":
            texts.append((f, sys.stdin.read()))
        elif f.startswith(("http://", "https://")):
            try:
                with urllib.request.urlopen(f, timeout=30) as r:
                    texts.append((f, r.read().decode()))
            except OSError as e:
                die('error: unable to read URL "%s", server reported %s' % (f, e))
        else:
            try:
                with open(f, encoding="utf-8") as fh:
                    texts.append((f, fh.read()))
            except OSError:
                die('error: the path "%s" does not exist' % f)
    for src, text in texts:
        res = cli.call("POST", "/standin/v1/apply", {"manifest": text, "source": src})
        for line in res["results"]:
            print(line)


def drain(cli, a):
    # List first: once cordoned, the stand-in API already places the evictable pods elsewhere.
    pods = cli.call("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3D" + a.name)["items"]
    cli.call("PATCH", "/api/v1/nodes/" + a.name, {"spec": {"unschedulable": True}})
    print("node/%s cordoned" % a.name)
    ds = [p for p in pods if p["metadata"].get("ownerReferences", [{}])[0].get("kind") == "DaemonSet"]
    mirror = [p for p in pods if p["metadata"].get("ownerReferences", [{}])[0].get("kind") == "Node"]
    if ds and not a.ignore_daemonsets:
        print("error: unable to drain node \"%s\" due to error: cannot delete DaemonSet-managed Pods (use "
              "--ignore-daemonsets to ignore): %s, continuing command..." % (
                  a.name, ", ".join("%s/%s" % (p["metadata"]["namespace"], p["metadata"]["name"]) for p in ds)),
              file=sys.stderr)
        die("There are pending nodes to be drained:\n %s\nerror: cannot delete DaemonSet-managed Pods (use "
            "--ignore-daemonsets to ignore)" % a.name)
    if ds:
        print("Warning: ignoring DaemonSet-managed Pods: %s" % ", ".join(
            "%s/%s" % (p["metadata"]["namespace"], p["metadata"]["name"]) for p in ds), file=sys.stderr)
    for p in pods:
        if p in ds or p in mirror:
            continue
        ns, name = p["metadata"]["namespace"], p["metadata"]["name"]
        print("evicting pod %s/%s" % (ns, name))
        cli.call("POST", "/api/v1/namespaces/%s/pods/%s/eviction" % (ns, name), {"apiVersion": "policy/v1",
                                                                                  "kind": "Eviction"})
        print("pod/%s evicted" % name)
    print("node/%s drained" % a.name)


def main(argv=None):
    p = argparse.ArgumentParser(prog="kubectl", description="stand-in kubectl (PiCluster test lab)")
    p.add_argument("--kubeconfig")
    p.add_argument("-n", "--namespace")
    p.add_argument("-v", "--v")
    p.add_argument("--request-timeout")
    sub = p.add_subparsers(dest="cmd")
    g = sub.add_parser("get")
    g.add_argument("resource")
    g.add_argument("name", nargs="?")
    g.add_argument("-o", "--output", default="")
    g.add_argument("-A", "--all-namespaces", action="store_true")
    g.add_argument("--field-selector")
    ap = sub.add_parser("apply")
    ap.add_argument("-f", "--filename", action="append")
    dr = sub.add_parser("drain")
    dr.add_argument("name")
    dr.add_argument("--ignore-daemonsets", action="store_true")
    dr.add_argument("--delete-emptydir-data", "--delete-local-data", action="store_true")
    dr.add_argument("--force", action="store_true")
    dr.add_argument("--timeout")
    dr.add_argument("--grace-period")
    for verb in ("cordon", "uncordon"):
        sub.add_parser(verb).add_argument("name")
    de = sub.add_parser("delete")
    de.add_argument("resource")
    de.add_argument("names", nargs="+")
    sub.add_parser("cluster-info")
    ve = sub.add_parser("version")
    ve.add_argument("--client", action="store_true")
    ve.add_argument("-o", "--output", default="")
    argv = list(sys.argv[1:] if argv is None else argv)
    a, rest = p.parse_known_args(argv)
    # Global flags may come after the subcommand (kubectl get pods -n kube-system --kubeconfig x).
    for flag, attr in (("--kubeconfig", "kubeconfig"), ("-n", "namespace"), ("--namespace", "namespace")):
        for i, x in enumerate(rest):
            if x == flag and i + 1 < len(rest):
                setattr(a, attr, rest[i + 1])
            elif x.startswith(flag + "="):
                setattr(a, attr, x.split("=", 1)[1])
    if a.cmd is None:
        p.print_help()
        return
    if a.cmd == "version":
        client = {"major": "1", "minor": version().split(".")[1], "gitVersion": version(),
                  "platform": "linux/" + k.machine_arch()}
        server = None if a.client else Cli(a).call("GET", "/version")
        if a.output == "json":
            doc = {"clientVersion": client}
            if server:
                doc["serverVersion"] = server
            print(json.dumps(doc, indent=2))
        else:
            print("Client Version: %s" % version())
            if server:
                print("Server Version: %s" % server["gitVersion"])
        return
    cli = Cli(a)
    if a.cmd == "get":
        a.namespace = a.namespace
        get(cli, a)
    elif a.cmd == "apply":
        apply(cli, a)
    elif a.cmd == "drain":
        drain(cli, a)
    elif a.cmd in ("cordon", "uncordon"):
        cli.call("PATCH", "/api/v1/nodes/" + a.name, {"spec": {"unschedulable": a.cmd == "cordon"}})
        print("node/%s %sed" % (a.name, a.cmd))
    elif a.cmd == "delete":
        if a.resource.lower() not in ("node", "nodes", "no"):
            die('error: the stand-in kubectl can delete only nodes, not "%s"' % a.resource)
        for n in a.names:
            cli.call("DELETE", "/api/v1/nodes/" + n)
            print('node "%s" deleted' % n)
    elif a.cmd == "cluster-info":
        cli.call("GET", "/version")
        print("Kubernetes control plane is running at %s" % cli.kc.server)
        print("CoreDNS is running at %s/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy" % cli.kc.server)
        print("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.")


if __name__ == "__main__":
    main()
