using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Commands;
using PiCluster.Engine;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Tests.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Steps.Kubeconfig;

/// <summary>
/// Export-PiKubeconfig over a fake node that serves admin.conf, writing real files in a temporary directory: modes,
/// backup, byte-for-byte survival of other entries, Unchanged on a second run, -Server, -WhatIf, and the credential
/// never reaching anything a user sees.
/// </summary>
// Unix modes are what is tested; Windows runs none of these tests.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KubeconfigStepTests : IDisposable
{
    // Long like real ones (a 2048-bit key is about 2.2 KB of base64), random so that nothing else can contain them.
    private static readonly string ClientKey = Base64(1700, 1);
    private static readonly string ClientCert = Base64(1100, 2);
    private const string CaData = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWCg==";
    private const string WorkToken = "work-sso-token-Zm9vYmFyYmF6cXV4";

    private static readonly string AdminConf =
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: " + CaData + "\n    server: https://192.168.1.201:6443\n  name: homelab\n" +
        "contexts:\n- context:\n    cluster: homelab\n    user: kubernetes-admin\n  name: kubernetes-admin@homelab\n" +
        "current-context: kubernetes-admin@homelab\nkind: Config\npreferences: {}\nusers:\n- name: kubernetes-admin\n  user:\n" +
        "    client-certificate-data: " + ClientCert + "\n    client-key-data: " + ClientKey + "\n";

    // Someone's kubeconfig with another cluster: its bytes must survive (comment and a token user included).
    private const string Work =
        "apiVersion: v1\n# managed by hand: keep\nclusters:\n- cluster:\n    certificate-authority-data: V09SSy1DQQ==\n    server: https://work.example.org:443\n  name: work\n" +
        "contexts:\n- context:\n    cluster: work\n    namespace: payments\n    user: work-sso\n  name: work\ncurrent-context: work\nkind: Config\npreferences: {}\n" +
        "users:\n- name: work-sso\n  user:\n    token: " + WorkToken + "\n";

    private static readonly PiNode ControlPlane = new("cp1", "127.0.0.1", NodeRole.ControlPlane, port: 2201,
        cluster: new ClusterDefinition { Name = "homelab" });

    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string KubeDir => Path.Combine(_dir, "home", ".kube");
    private string ConfigPath => Path.Combine(KubeDir, "config");

    private static string Base64(int length, int seed)
    {
        var random = new Random(seed);
        const string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        return new string(Enumerable.Range(0, length).Select(_ => chars[random.Next(chars.Length)]).ToArray());
    }

    private static FakeConnector Node(string? adminConf = null, int exitCode = 0) => new((_, command) => command.Display == "admin-conf-read.sh"
        ? new CommandResult(exitCode, exitCode == 0 ? adminConf ?? AdminConf : "", exitCode == 0 ? "" : "there is no /etc/kubernetes/admin.conf: this is not a control-plane node that kubeadm init has set up\n")
        : FakeNodeSession.Ok());

    private RecordingRunHost Export(FakeConnector connector, string? server = null, Func<PiNode, string, bool>? answer = null, PiNode? node = null)
    {
        var host = new RecordingRunHost();
        if (answer is not null) host.Answer = answer;
        new ExportPiKubeconfigCommand { Connector = connector, KubeconfigPath = ConfigPath, Server = server }
            .Execute(new[] { node ?? ControlPlane }, host);
        Assert.Empty(host.WrongThreadCalls);
        return host;
    }

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    private string[] Backups() => Directory.Exists(KubeDir) ? Directory.GetFiles(KubeDir, "config.picluster-*.bak") : Array.Empty<string>();

    private static string Kubectl(string kubeconfig, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args.Prepend("--kubeconfig=" + kubeconfig)) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {error}");
        return output;
    }

    [Fact]
    public void AFirstRunCreatesTheDirectory0700AndTheFile0600AndASecondRunIsUnchanged()
    {
        var host = Export(Node());
        var result = Assert.Single(host.Output<KubeconfigResult>());
        Assert.Empty(host.Failures);
        Assert.Equal(("cp1", ConfigPath, "homelab", "homelab-admin", "https://192.168.1.201:6443", StepStatus.Changed, (string?)null),
            (result.Node.Name, result.Path, result.Context, result.User, result.Server, result.Status, result.Backup));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(ConfigPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode(KubeDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode(Path.GetDirectoryName(KubeDir)!));
        Assert.Single(Directory.GetFileSystemEntries(KubeDir)); // no temporary file left, no backup of a file that was not there

        // The real kubectl reads it: our context is current, with admin.conf's credential under the cluster's names.
        Assert.Equal("homelab", Kubectl(ConfigPath, "config", "current-context").Trim());
        Assert.Equal(ClientKey, Kubectl(ConfigPath, "config", "view", "--raw", "-o", "jsonpath={.users[?(@.name==\"homelab-admin\")].user.client-key-data}"));

        var bytes = File.ReadAllBytes(ConfigPath);
        var again = Export(Node());
        var unchanged = Assert.Single(again.Output<KubeconfigResult>());
        Assert.Equal(StepStatus.Unchanged, unchanged.Status);
        Assert.Empty(unchanged.Changes);
        Assert.Empty(again.ShouldProcessCalls);
        Assert.Equal(bytes, File.ReadAllBytes(ConfigPath));
        Assert.Empty(Backups());
    }

    [Fact]
    public void AnotherContextSurvivesByteForByteAndThePreviousFileIsBackedUp0600()
    {
        Directory.CreateDirectory(KubeDir);
        File.WriteAllText(ConfigPath, Work);
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = Assert.Single(Export(Node()).Output<KubeconfigResult>());
        Assert.Equal(StepStatus.Changed, result.Status);
        var merged = File.ReadAllText(ConfigPath);
        // Each of the old file's blocks is still there verbatim, in its order: only our entries were added between them.
        var blocks = new[]
        {
            "apiVersion: v1\n# managed by hand: keep\nclusters:\n- cluster:\n    certificate-authority-data: V09SSy1DQQ==\n    server: https://work.example.org:443\n  name: work\n",
            "contexts:\n- context:\n    cluster: work\n    namespace: payments\n    user: work-sso\n  name: work\n",
            "current-context: work\nkind: Config\npreferences: {}\nusers:\n- name: work-sso\n  user:\n    token: " + WorkToken + "\n",
        };
        var at = 0;
        foreach (var block in blocks)
        {
            var found = merged.IndexOf(block, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"lost or changed: {block}");
            at = found + block.Length;
        }
        Assert.Equal("work", Kubectl(ConfigPath, "config", "current-context").Trim());
        Assert.Equal("homelab work", string.Join(' ', Kubectl(ConfigPath, "config", "get-contexts", "-o", "name").Split('\n', StringSplitOptions.RemoveEmptyEntries).OrderBy(n => n)));

        var backup = Assert.Single(Backups());
        Assert.Equal(backup, result.Backup);
        Assert.Matches(@"config\.picluster-\d{8}T\d{6}Z\.bak$", backup); // no ':' in the name
        Assert.Equal(Work, File.ReadAllText(backup));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(backup));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(ConfigPath));

        Assert.Equal(StepStatus.Unchanged, Assert.Single(Export(Node()).Output<KubeconfigResult>()).Status);
        Assert.Single(Backups());
    }

    [Fact]
    public void WhatIfShowsTheMergeAsADiffWithCredentialsMaskedAndWritesNothing()
    {
        Directory.CreateDirectory(KubeDir);
        File.WriteAllText(ConfigPath, Work);
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var before = File.GetLastWriteTimeUtc(ConfigPath);

        var host = Export(Node(), answer: (_, _) => false);

        var action = Assert.Single(host.ShouldProcessCalls).Action;
        Assert.StartsWith("Kubeconfig: 1 change\n  - edit " + ConfigPath + " (mode 0600, keeping the old one as config.picluster-<UTC timestamp>.bak): cluster homelab added, context homelab added, user homelab-admin added", action);
        Assert.Contains("+- cluster:", action);
        Assert.Contains("+    server: https://192.168.1.201:6443", action);
        Assert.Contains("+    client-key-data: " + Redactor.Mask, action);
        Assert.Contains("+    client-certificate-data: " + Redactor.Mask, action);
        // The other user's token shows as context of the diff: masked too.
        Assert.Contains("     token: " + Redactor.Mask, action);
        Assert.DoesNotContain(ClientKey, action);
        Assert.DoesNotContain(ClientCert, action);
        Assert.DoesNotContain(WorkToken, action);

        Assert.Empty(host.Objects);
        Assert.Empty(host.Failures);
        Assert.Equal(Work, File.ReadAllText(ConfigPath));
        Assert.Equal(before, File.GetLastWriteTimeUtc(ConfigPath));
        Assert.Equal(new[] { ConfigPath }, Directory.GetFileSystemEntries(KubeDir));
    }

    [Fact]
    public void WhatIfWithoutAFileCreatesNoDirectory()
    {
        var host = Export(Node(), answer: (_, _) => false);
        var action = Assert.Single(host.ShouldProcessCalls).Action;
        Assert.Contains($"create directory {Path.GetDirectoryName(KubeDir)} (mode 0700)", action);
        Assert.Contains($"create directory {KubeDir} (mode 0700)", action);
        Assert.Contains("create " + ConfigPath, action);
        Assert.False(Directory.Exists(Path.GetDirectoryName(KubeDir)));
    }

    [Fact]
    public void TheCredentialIsRegisteredWithTheRunsRedactorSoNoLaterTextCanShowIt()
    {
        // A later step (or any message) that echoes the credential, as a kubectl error quoting the kubeconfig might.
        var echo = new ScriptedStep("Echo",
            _ => Task.FromResult(new StepPlan(new[] { new Change($"use key {ClientKey}", $"+{ClientCert}\n") })),
            (_, context) =>
            {
                context.Verbose($"key {ClientKey} cert {ClientCert}");
                throw new NodeException(NodeErrorKind.StepFailed, $"kubectl said: {ClientKey}", new InvalidOperationException(ClientCert));
            });
        var step = new KubeconfigStep(new KubeconfigOptions(ConfigPath));
        var host = new RecordingRunHost();
        new ClusterRunner(Node(), new RunOptions()).Run(new[] { ControlPlane }, new NodeStep[] { step, echo }, host, CancellationToken.None);

        var texts = new List<string?>();
        texts.AddRange(host.Verbose);
        texts.AddRange(host.ShouldProcessCalls.Select(c => c.Action));
        foreach (var result in host.Results)
        {
            texts.Add(result.Message);
            texts.AddRange(result.Changes.Select(c => c.Description + c.Diff));
            if (result.Data is KubeconfigResult k) texts.AddRange(new[] { k.Path, k.Context, k.User, k.Server, k.Backup }.Concat(k.Changes));
        }
        foreach (var failure in host.Failures)
            for (Exception? e = failure.Exception; e is not null; e = e.InnerException)
                texts.AddRange(new[] { failure.Message, e.Message, e.ToString() });

        Assert.Equal(new[] { "Kubeconfig", "Echo" }, host.Results.Select(r => r.Step));
        Assert.Contains(host.Verbose, l => l.Contains("key " + Redactor.Mask, StringComparison.Ordinal));
        Assert.Contains("kubectl said: " + Redactor.Mask, Assert.Single(host.Failures).Message);
        Assert.All(texts, t => Assert.DoesNotContain(ClientKey, t ?? ""));
        Assert.All(texts, t => Assert.DoesNotContain(ClientCert, t ?? ""));
        // Only the file itself holds it.
        Assert.Contains(ClientKey, File.ReadAllText(ConfigPath));
    }

    [Fact]
    public void ServerRewritesTheApiAddressAndSwitchContextMakesItCurrent()
    {
        Directory.CreateDirectory(KubeDir);
        File.WriteAllText(ConfigPath, Work);
        // The step itself: PowerShellStandard's SwitchParameter is a stub outside PowerShell (Pester covers -SwitchContext).
        var host = new RecordingRunHost();
        new ClusterRunner(Node(), new RunOptions()).Run(new[] { ControlPlane },
            new NodeStep[] { new KubeconfigStep(new KubeconfigOptions(ConfigPath, "https://127.0.0.1:16443", SwitchContext: true)) }, host, CancellationToken.None);
        var result = Assert.IsType<KubeconfigResult>(Assert.Single(host.Results).Data);
        Assert.Equal("https://127.0.0.1:16443", result.Server);
        Assert.Equal("https://127.0.0.1:16443", Kubectl(ConfigPath, "config", "view", "-o", "jsonpath={.clusters[?(@.name==\"homelab\")].cluster.server}"));
        Assert.Equal("homelab", Kubectl(ConfigPath, "config", "current-context").Trim());
        Assert.Contains("current-context switched from work to homelab", result.Changes[0]);
        Assert.StartsWith("restrict ", result.Changes[1]); // File.WriteAllText made it 0644
        Assert.Equal(StepStatus.Unchanged, Assert.Single(Export(Node(), server: "https://127.0.0.1:16443").Output<KubeconfigResult>()).Status);

        // Back to admin.conf's address: the cluster entry alone is updated.
        var back = Assert.Single(Export(Node()).Output<KubeconfigResult>());
        Assert.Contains("cluster homelab updated", Assert.Single(back.Changes));
        Assert.Equal("https://192.168.1.201:6443", back.Server);
    }

    [Fact]
    public void AFileOthersCanReadIsRestrictedTo0600WithoutRewritingIt()
    {
        Export(Node());
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var bytes = File.ReadAllBytes(ConfigPath);

        var result = Assert.Single(Export(Node()).Output<KubeconfigResult>());
        Assert.Equal(StepStatus.Changed, result.Status);
        Assert.Equal($"restrict {ConfigPath} to mode 0600 (it is 0644)", Assert.Single(result.Changes));
        Assert.Null(result.Backup);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(ConfigPath));
        Assert.Equal(bytes, File.ReadAllBytes(ConfigPath));
        Assert.Equal(StepStatus.Unchanged, Assert.Single(Export(Node()).Output<KubeconfigResult>()).Status);
    }

    [Fact]
    public void AFileChangedAfterPlanningIsNotOverwritten()
    {
        Directory.CreateDirectory(KubeDir);
        File.WriteAllText(ConfigPath, Work);
        var edited = Work.Replace("payments", "billing", StringComparison.Ordinal);
        var host = Export(Node(), answer: (_, _) => { File.WriteAllText(ConfigPath, edited); return true; });

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.InvalidNodeState, failure.Kind);
        Assert.Contains("changed after it was read; nothing was written", failure.Message);
        Assert.Empty(host.Output<KubeconfigResult>());
        Assert.Equal(edited, File.ReadAllText(ConfigPath));
        Assert.Empty(Backups());
    }

    [Fact]
    public void ASymbolicLinkIsWrittenThroughToItsTarget()
    {
        var dotfiles = Path.Combine(_dir, "dotfiles");
        Directory.CreateDirectory(dotfiles);
        Directory.CreateDirectory(KubeDir);
        var target = Path.Combine(dotfiles, "kubeconfig");
        File.WriteAllText(target, Work);
        File.CreateSymbolicLink(ConfigPath, target);

        var result = Assert.Single(Export(Node()).Output<KubeconfigResult>());
        Assert.Equal(target, result.Path);
        Assert.Equal(target, new FileInfo(ConfigPath).LinkTarget);
        Assert.Contains("name: homelab-admin", File.ReadAllText(target));
        Assert.Equal(Work, File.ReadAllText(Assert.Single(Directory.GetFiles(dotfiles, "kubeconfig.picluster-*.bak"))));
    }

    [Fact]
    public void ANodeWithoutAdminConfFailsClearlyAndNothingIsWritten()
    {
        var host = Export(Node(exitCode: 3));
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.InvalidNodeState, failure.Kind);
        Assert.StartsWith("cp1: Kubeconfig: there is no /etc/kubernetes/admin.conf yet: run Initialize-PiControlPlane first", failure.Message);
        Assert.Empty(host.Objects);
        Assert.False(Directory.Exists(KubeDir));
    }

    [Fact]
    public void WhatIfBeforeInitShowsTheMergeWithPlaceholdersForTheCredentialAndWritesNothing()
    {
        Directory.CreateDirectory(KubeDir);
        File.WriteAllText(ConfigPath, Work);
        var host = Export(Node(exitCode: 3), answer: (_, _) => false);

        Assert.Empty(host.Failures);
        var action = Assert.Single(host.ShouldProcessCalls).Action;
        Assert.Contains("placeholders for what kubeadm init creates on cp1", action, StringComparison.Ordinal);
        Assert.Contains("+    certificate-authority-data: <the cluster CA, which kubeadm init creates on cp1>", action, StringComparison.Ordinal);
        Assert.Contains("+    server: https://127.0.0.1:6443", action, StringComparison.Ordinal);
        Assert.Contains("+- name: homelab-admin", action, StringComparison.Ordinal);
        Assert.Contains("+    client-key-data: ********", action, StringComparison.Ordinal);
        // Credential lines stay masked, whether placeholders or the other cluster's token.
        Assert.DoesNotContain(WorkToken, action, StringComparison.Ordinal);
        Assert.DoesNotContain("<the admin key", action, StringComparison.Ordinal);
        Assert.Equal(Work, File.ReadAllText(ConfigPath));
        Assert.Single(Directory.GetFiles(KubeDir));
    }

    [Fact]
    public void ANodeWithoutAClusterFileNamesTheContextAfterAdminConfsCluster()
    {
        var piped = new PiNode("cp", "127.0.0.1", port: 2201);
        var result = Assert.Single(Export(Node(AdminConf.Replace("homelab", "kubernetes", StringComparison.Ordinal)), node: piped).Output<KubeconfigResult>());
        Assert.Equal(("kubernetes", "kubernetes-admin"), (result.Context, result.User));
    }

    [Fact]
    public void TheNodeIsTheOnlyOneGivenOrTheFirstControlPlaneNode()
    {
        var worker = new PiNode("w1", "127.0.0.1");
        var cp2 = new PiNode("cp2", "127.0.0.1", NodeRole.ControlPlane);
        Assert.Same(worker, KubeconfigStep.ChooseNode(new[] { worker }));
        Assert.Same(ControlPlane, KubeconfigStep.ChooseNode(new[] { worker, ControlPlane, cp2 }));
        Assert.Null(KubeconfigStep.ChooseNode(new[] { worker, new PiNode("w2", "127.0.0.1") }));
    }

    [Fact]
    public void OnlyTheChosenNodeIsContacted()
    {
        var connector = Node();
        var host = new RecordingRunHost();
        new ExportPiKubeconfigCommand { Connector = connector, KubeconfigPath = ConfigPath }
            .Execute(new[] { new PiNode("w1", "127.0.0.1"), ControlPlane }, host);
        Assert.Equal(new[] { "cp1" }, connector.Opens.Keys);
        Assert.Single(host.Output<KubeconfigResult>());
    }
}
