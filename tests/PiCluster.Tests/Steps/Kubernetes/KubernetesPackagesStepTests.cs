using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Steps.Kubernetes;

public class KubernetesPackagesStepTests
{
    private const string Repo = "http://10.0.2.2:8080/core:/stable:/v1.34/deb/";

    // A plain-http mirror's key must be pinned.
    private const string Fingerprint = "1F755760B2F4D1341E3A50BDABB40F65679D7C05";

    private const string Madison = """
   kubeadm | 1.34.3-1.1 | http://10.0.2.2:8080/core:/stable:/v1.34/deb  Packages
   kubeadm | 1.34.2-1.1 | http://10.0.2.2:8080/core:/stable:/v1.34/deb  Packages
   kubeadm | 1.34.1-1.1 | http://10.0.2.2:8080/core:/stable:/v1.34/deb  Packages
""";

    private static PiNode Node(string version = "1.34") => new("node1", "127.0.0.1", cluster: new ClusterDefinition
    {
        Kubernetes = { Version = version, PackageRepository = Repo, RepositoryKey = Repo + "Release.key", RepositoryKeyFingerprint = Fingerprint },
    });

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string SourcesFile => AptRepositoryPlan.SourcesFile(AptRepository.Kubernetes(KubernetesVersion.Parse("1.34"), Repo, Repo + "Release.key", Fingerprint));

    private static string Facts(string installed = "", string holds = "", bool repo = false, string madison = "", string kubelet = "disabled") =>
        "@@ apt_version\n2.6.1\n" +
        $"@@ installed\n{installed}" +
        $"@@ holds\n{holds}" +
        (repo ? $"@@ sources\n{B64(SourcesFile)}\n@@ keyring\n{B64("binary key")}\n" : "@@ sources !missing\n@@ keyring !missing\n") +
        $"@@ madison\n{madison}\n@@ kubelet_enabled\n{kubelet}\n@@ locks\n";

    private const string Prereqs = "ca-certificates 20230311 ii \ncurl 7.88.1-10 ii \ngpg 2.2.40-1.1 ii \n";
    private const string All = "kubelet 1.34.2-1.1 ii \nkubeadm 1.34.2-1.1 ii \nkubectl 1.34.2-1.1 ii \n";

    private static StepContext Context(FakeNodeSession session) => new(session, new[] { session.Node }, _ => { }, CancellationToken.None);

    [Fact]
    public async Task ConvergedNode_NoChanges_OneRoundTrip()
    {
        // Held packages show as "hi" in dpkg's status.
        var session = new FakeNodeSession(Node(), _ => FakeNodeSession.Ok(Facts(Prereqs + All.Replace(" ii ", " hi "), "kubeadm\nkubectl\nkubelet\n", repo: true, Madison, "enabled")));
        var plan = await new KubernetesPackagesStep().PlanAsync(Context(session));
        Assert.Empty(plan.Changes);
        Assert.Equal(1, session.RoundTrips);
    }

    [Fact]
    public async Task FreshNode_RepositoryNewestPatchHoldAndKubelet()
    {
        var session = new FakeNodeSession(Node(), c =>
            c.Display!.Contains("read the package state") ? FakeNodeSession.Ok(Facts("curl 7.88.1-10 ii \n"))
            : c.Display.Contains("set up the") ? FakeNodeSession.Ok($"@@ log\nrefreshed\n@@ madison\n{Madison}")
            : FakeNodeSession.Ok($"@@ log\n@@ installed\n{All.Replace("1.34.2", "1.34.3").Replace(" ii ", " hi ")}@@ holds\nkubeadm\nkubectl\nkubelet\n@@ kubelet_enabled\nenabled\n"));
        var step = new KubernetesPackagesStep();
        var plan = await step.PlanAsync(Context(session));
        var descriptions = plan.Changes.Select(c => c.Description).ToList();

        Assert.Equal("install prerequisites: ca-certificates gpg", descriptions[0]);
        Assert.Contains($"download the signing key {Repo}Release.key and dearmor it into /etc/apt/keyrings/kubernetes-apt-keyring.gpg", descriptions);
        Assert.Contains(plan.Changes, c => c.Diff?.Contains($"+deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] {Repo} /") == true);
        Assert.Contains($"install kubelet, kubeadm, kubectl the newest 1.34 patch from {Repo}", descriptions);
        Assert.Contains(descriptions, d => d.StartsWith("hold kubelet, kubeadm, kubectl", StringComparison.Ordinal));
        Assert.Contains("enable kubelet", descriptions);

        var data = await step.ApplyAsync(plan, Context(session));

        Assert.Equal(3, session.RoundTrips);
        var repoScript = session.Commands[1].Script;
        Assert.Contains($"PICLUSTER_KEY_URL='{Repo}Release.key'", repoScript);
        Assert.Contains("PICLUSTER_PREREQS='ca-certificates gpg'", repoScript);
        Assert.Contains(ScriptWrites.Of(repoScript), w => w.Path == "/etc/apt/sources.list.d/kubernetes.list" && w.Expected == "absent");
        Assert.Contains("gpg --batch --yes --dearmor", repoScript);
        // No apt-key, no trusted=yes, no download piped into a shell, outside comments.
        Assert.DoesNotMatch(@"(?m)^\s*[^#\n]*(\bapt-key\b|trusted=yes|\|\s*(ba)?sh\b)", repoScript);
        Assert.Contains("PICLUSTER_INSTALL='kubelet=1.34.3-1.1 kubeadm=1.34.3-1.1 kubectl=1.34.3-1.1'", session.Commands[2].Script);
        Assert.Contains("PICLUSTER_HOLD='kubelet kubeadm kubectl'", session.Commands[2].Script);
        Assert.Equal("1.34.3-1.1", Assert.IsType<KubernetesPackagesResult>(data).PackageVersion);
    }

    [Fact]
    public async Task ExplicitPatch_IsHonoured_FromFreshLists()
    {
        var session = new FakeNodeSession(Node("1.34.2"), _ => FakeNodeSession.Ok(Facts(Prereqs, repo: true, madison: Madison)));
        var plan = await new KubernetesPackagesStep().PlanAsync(Context(session));
        Assert.Contains($"install kubelet, kubeadm, kubectl 1.34.2-1.1 from {Repo}", plan.Changes.Select(c => c.Description));
        Assert.Equal("1.34.2-1.1", ((KubernetesPackagesStep.Facts)plan.Facts!).KnownVersion);
    }

    [Fact]
    public async Task PatchMissingFromTheRepository_FailsSayingWhatIsThere()
    {
        var session = new FakeNodeSession(Node("1.34.9"), c =>
            c.Display!.Contains("read the package state") ? FakeNodeSession.Ok(Facts(Prereqs, repo: true))
            : FakeNodeSession.Ok($"@@ madison\n{Madison}"));
        var step = new KubernetesPackagesStep();
        var plan = await step.PlanAsync(Context(session));
        var ex = await Assert.ThrowsAsync<NodeException>(() => step.ApplyAsync(plan, Context(session)));
        Assert.Contains("has no kubeadm for Kubernetes 1.34.9 (it offers: 1.34.3-1.1, 1.34.2-1.1, 1.34.1-1.1)", ex.Message);
        Assert.Equal(2, session.RoundTrips); // nothing was installed
    }

    [Theory]
    [InlineData("1.34", "1.33.5-1.1")]
    [InlineData("1.34.3", "1.34.2-1.1")]
    public async Task OtherInstalledVersion_IsNotChanged_AndPointsToKubeadmUpgrade(string wanted, string installed)
    {
        var session = new FakeNodeSession(Node(wanted), _ => FakeNodeSession.Ok(Facts(Prereqs + All.Replace("1.34.2-1.1", installed), repo: true, madison: Madison)));
        var ex = await Assert.ThrowsAsync<NodeException>(() => new KubernetesPackagesStep().PlanAsync(Context(session)));
        Assert.Equal(NodeErrorKind.InvalidNodeState, ex.Kind);
        Assert.Contains($"kubelet {installed}", ex.Message);
        Assert.Contains("kubeadm upgrade", ex.Message);
        Assert.Equal(1, session.RoundTrips);
    }

    [Fact]
    public async Task MinorChannel_AcceptsAnyInstalledPatch_AndCompletesAMissingPackageAtThatPatch()
    {
        var installed = "kubelet 1.34.1-1.1 ii \nkubeadm 1.34.1-1.1 ii \n";
        var session = new FakeNodeSession(Node(), _ => FakeNodeSession.Ok(Facts(Prereqs + installed, "kubeadm\nkubelet\n", repo: true, Madison, "enabled")));
        var plan = await new KubernetesPackagesStep().PlanAsync(Context(session));
        Assert.Equal(new[] { $"install kubectl 1.34.1-1.1 from {Repo}", "hold kubectl (apt-mark hold) so that upgrades are deliberate" }, plan.Changes.Select(c => c.Description));
    }

    [Fact]
    public async Task LockHeldPastTimeout_FailsWithTimeout_NamingTheHolder_NothingChanged()
    {
        var session = new FakeNodeSession(Node(), c => c.Display!.Contains("read the package state")
            ? FakeNodeSession.Ok(Facts())
            : new CommandResult(75, "@@ log\n", "the apt/dpkg lock is still held after 30 s by unattended-upgr (pid 812, /var/lib/dpkg/lock-frontend)\n"));
        var step = new KubernetesPackagesStep(new KubernetesPackagesOptions { LockTimeout = TimeSpan.FromSeconds(30) });
        var plan = await step.PlanAsync(Context(session));
        var ex = await Assert.ThrowsAsync<NodeException>(() => step.ApplyAsync(plan, Context(session)));
        Assert.Equal(NodeErrorKind.Timeout, ex.Kind);
        Assert.Contains("unattended-upgr (pid 812", ex.Message);
        Assert.Contains("Nothing was changed", ex.Message);
        Assert.Contains("-LockTimeout", ex.Message);
        Assert.Contains("PICLUSTER_LOCK_TIMEOUT='30'", session.Commands[1].Script);
    }

    [Fact]
    public async Task SignatureRefused_SaysSoInPlainWords()
    {
        var session = new FakeNodeSession(Node(), c => c.Display!.Contains("read the package state")
            ? FakeNodeSession.Ok(Facts(Prereqs))
            : new CommandResult(76, "@@ log\n", $"W: GPG error: {Repo} InRelease: The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 1234ABCD\nE: The repository '{Repo} InRelease' is not signed.\n"));
        var step = new KubernetesPackagesStep();
        var plan = await step.PlanAsync(Context(session));
        var ex = await Assert.ThrowsAsync<NodeException>(() => step.ApplyAsync(plan, Context(session)));
        Assert.Contains($"apt refused the Kubernetes v1.34 repository {Repo}", ex.Message);
        Assert.Contains("nothing was installed", ex.Message);
        Assert.Contains("NO_PUBKEY 1234ABCD", ex.Message);
        Assert.Equal(2, session.RoundTrips);
    }

    [Fact]
    public void Parameters_OverrideTheClusterFile()
    {
        var step = new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.33.4" });
        var (version, repository) = step.Resolve(Node());
        Assert.Equal("1.33.4", version.ToString());
        Assert.Equal(Repo, repository.Url); // the cluster's mirror stays

        var mirror = new KubernetesPackagesStep(new KubernetesPackagesOptions { PackageRepository = "https://mirror.example/k8s/v1.34" }).Resolve(Node()).repository;
        Assert.Equal("https://mirror.example/k8s/v1.34/Release.key", mirror.Key);

        var plain = new KubernetesPackagesStep(new KubernetesPackagesOptions { Version = "1.34" }).Resolve(new PiNode("n", "127.0.0.1")).repository;
        Assert.Equal("https://pkgs.k8s.io/core:/stable:/v1.34/deb/", plain.Url);

        Assert.Throws<NodeException>(() => new KubernetesPackagesStep().Resolve(new PiNode("n", "127.0.0.1")));
    }

    [Fact]
    public async Task LocalKeyFile_IsDearmoredHere_AndWrittenByteExact()
    {
        var keys = System.IO.Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "keys");
        var binary = System.IO.File.ReadAllBytes(System.IO.Path.Combine(keys, "release.gpg"));
        var path = System.IO.Path.Combine(keys, "release.asc");
        Assert.Equal(binary, OpenPgpArmor.Dearmor(System.IO.File.ReadAllBytes(path)));
        var session = new FakeNodeSession(Node(), _ => FakeNodeSession.Ok(Facts(Prereqs + All, "kubeadm\nkubectl\nkubelet\n", madison: Madison, kubelet: "enabled")));
        var plan = await new KubernetesPackagesStep(new KubernetesPackagesOptions { RepositoryKey = path }).PlanAsync(Context(session));
        var facts = (KubernetesPackagesStep.Facts)plan.Facts!;
        Assert.Equal(binary, facts.Repository.Key!.After);
        Assert.False(facts.Repository.FetchKey);
    }
}
