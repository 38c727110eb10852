using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using PiCluster.ControlPlane;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using PiCluster.Workers;

namespace PiCluster.Tests.Workers;

/// <summary>
/// A scripted cluster for the join phases: a leader with a CA, registered nodes and bootstrap tokens, and workers with
/// a kubelet state; kubeadm token create/delete, kubeadm join and reset change that state as the real ones would.
/// </summary>
internal sealed class JoinWorld
{
    public static ClusterDefinition Cluster() => ClusterFileLoader.Parse(
        "name: homelab\n" +
        "kubernetes:\n  version: \"1.34\"\n" +
        "nodes:\n" +
        "  - { name: node1, address: 127.0.0.1, lanAddress: 192.168.77.11, role: control-plane, ssh: { port: 2201 } }\n" +
        "  - { name: node2, address: 127.0.0.1, lanAddress: 192.168.77.12, ssh: { port: 2202 } }\n" +
        "  - { name: node3, address: 127.0.0.1, lanAddress: 192.168.77.13, ssh: { port: 2203 } }\n",
        Path.Combine(Path.GetTempPath(), "cluster.yaml"));

    public static string SelfSignedCa(string name, bool ecdsa = false)
    {
        using AsymmetricAlgorithm key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var request = ecdsa
            ? new CertificateRequest($"CN={name}", (ECDsa)key, HashAlgorithmName.SHA256)
            : new CertificateRequest($"CN={name}", (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return cert.ExportCertificatePem();
    }

    public sealed record Token(string Id, string Secret, string Description, string Ttl);

    public sealed class Worker
    {
        public bool KubeletConf;
        public string? CaPem;
        public CommandResult? JoinFails;
        public bool NeverReady;
        public bool CaOnlyInKubeletConf;
        public int Resets;
        public string? JoinConfiguration;
    }

    private int _tokens;
    private readonly object _gate = new();

    public string LeaderCa = SelfSignedCa("kubernetes");
    public string OtherCa = SelfSignedCa("other-cluster");
    public string? PrintedHash;
    public HashSet<string> Registered = new() { "node1" };
    public List<Token> Tokens = new();
    public ConcurrentDictionary<string, Worker> Workers = new() { ["node2"] = new(), ["node3"] = new() };
    public List<string> TokensCreated = new();
    public Action? OnJoin;
    public int Deletes;

    public string LeaderPin => CaPin.Of(Encoding.ASCII.GetBytes(LeaderCa));

    /// <summary>A worker that is in the cluster: registered, kubelet.conf with the leader's CA.</summary>
    public void Joined(string name)
    {
        Registered.Add(name);
        Workers[name].KubeletConf = true;
        Workers[name].CaPem = LeaderCa;
    }

    public CommandResult Answer(PiNode node, RemoteCommand command)
    {
        var s = command.Script;
        lock (_gate)
        {
            if (s.Contains("@@picluster-part", StringComparison.Ordinal)) return new CommandResult(1, "", "no batches here");
            if (s == RemoteScripts.Compose("leader-facts")) return FakeNodeSession.Ok(node.Name == "node1" ? "yes\n" : "no\n");
            if (s.Contains("@@ kubelet_conf", StringComparison.Ordinal))
            {
                var w = Workers[node.Name];
                var text = new StringBuilder("@@ kubelet_conf\n").Append(w.KubeletConf ? "yes\n" : "no\n");
                if (w.CaOnlyInKubeletConf) return FakeNodeSession.Ok(text.Append($"@@ ca !missing\n@@ ca_data\n{B64(w.CaPem!)}\n").ToString());
                text.Append(w.CaPem is null ? "@@ ca !missing\n" : $"@@ ca\n{B64(w.CaPem)}\n");
                return FakeNodeSession.Ok(text.Append("@@ ca_data\n").ToString());
            }
            if (s.Contains("@@ nodes_error", StringComparison.Ordinal))
                return FakeNodeSession.Ok($"@@ admin_conf\nyes\n@@ ca\n{B64(LeaderCa)}\n@@ nodes\n{B64(NodesJson())}\n@@ stale\n{string.Join("\n", Ours().Select(t => t.Id))}\n");
            if (s.Contains("--print-join-command", StringComparison.Ordinal))
            {
                var deleted = DeleteOurs();
                var text = new StringBuilder("@@ deleted\n").Append(string.Concat(deleted.Select(id => $"deleted {id}\n")));
                if (s.Contains("PICLUSTER_CREATE='yes'", StringComparison.Ordinal))
                {
                    var n = ++_tokens;
                    var token = new Token($"pc{n:0000}", $"s3cr3t{n:0000}abcdefgh", Var(s, "PICLUSTER_DESCRIPTION"), Var(s, "PICLUSTER_TTL"));
                    Tokens.Add(token);
                    TokensCreated.Add(token.Id);
                    text.Append($"@@ join\nkubeadm join 192.168.77.11:6443 --token {token.Id}.{token.Secret} --discovery-token-ca-cert-hash {PrintedHash ?? LeaderPin} \n");
                }
                return FakeNodeSession.Ok(text.ToString());
            }
            if (s.Contains(RemoteScripts.Compose("bootstrap-token-delete"), StringComparison.Ordinal))
            {
                Deletes++;
                return FakeNodeSession.Ok(string.Concat(DeleteOurs().Select(id => $"deleted {id}\n")));
            }
            if (s.Contains("kubeadm reset -f", StringComparison.Ordinal))
            {
                var w = Workers[node.Name];
                w.Resets++;
                w.KubeletConf = false;
                w.CaPem = null;
                return FakeNodeSession.Ok("removed /etc/kubernetes/kubelet.conf\n");
            }
            if (s.Contains("kubeadm join --config", StringComparison.Ordinal))
            {
                var w = Workers[node.Name];
                w.JoinConfiguration = command.Input;
                OnJoin?.Invoke();
                if (w.JoinFails is { } failure) return failure;
                w.KubeletConf = true;
                w.CaPem = LeaderCa;
                Registered.Add(node.Name);
                return FakeNodeSession.Ok("This node has joined the cluster\n");
            }
            if (s == RemoteScripts.Compose("join-nodes")) return FakeNodeSession.Ok(NodesJson());
            return FakeNodeSession.Ok();
        }
    }

    public IEnumerable<Token> Ours() => Tokens.Where(t => t.Description == BootstrapTokens.Description);

    private List<string> DeleteOurs()
    {
        var ours = Ours().ToList();
        Tokens.RemoveAll(ours.Contains);
        return ours.Select(t => t.Id).ToList();
    }

    private string NodesJson() => JsonSerializer.Serialize(new
    {
        items = Registered.OrderBy(n => n).Select(n => new
        {
            metadata = new { name = n },
            status = new
            {
                conditions = new[]
                {
                    Workers.TryGetValue(n, out var w) && w.NeverReady
                        ? new { type = "Ready", status = "False", reason = "KubeletNotReady", message = "container runtime network not ready: cni plugin not initialized" }
                        : new { type = "Ready", status = "True", reason = "KubeletReady", message = "kubelet is posting ready status" },
                },
            },
        }),
    });

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Var(string script, string name)
    {
        var line = script.Split('\n').First(l => l.StartsWith(name + "=", StringComparison.Ordinal));
        return line[(name.Length + 2)..^1].Replace("'\\''", "'", StringComparison.Ordinal);
    }

    public static JoinOptions Options(int readySeconds = 1) => new()
    {
        ReadyTimeout = TimeSpan.FromSeconds(readySeconds),
        PollInterval = TimeSpan.FromMilliseconds(20),
    };

    public RecordingRunHost Run(FakeConnector connector, bool approve = true, JoinOptions? options = null, CancellationToken cancellation = default,
        params ClusterPhase[] before)
    {
        var host = new RecordingRunHost { Answer = (_, _) => approve };
        new PhaseRunner(connector, new RunOptions()).Run(ClusterNodes.ToPiNodes(Cluster()), before.Concat(WorkerPhases.Join(options ?? Options())).ToList(), host, cancellation);
        return host;
    }
}
