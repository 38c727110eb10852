using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Transport;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// Installs kubelet, kubeadm and kubectl the way pkgs.k8s.io documents: prerequisites, the repository's key dearmored
/// into /etc/apt/keyrings and named by <c>signed-by</c>, the three packages at one pinned version, <c>apt-mark hold</c>,
/// kubelet enabled. A minor picks its newest patch; a patch is honoured exactly.
/// </summary>
/// <remarks>
/// A node that already has one of the packages at another version is not changed: the step fails with
/// <see cref="NodeErrorKind.InvalidNodeState"/>, names both versions and points to <c>kubeadm upgrade</c>, because
/// moving a cluster between versions is an upgrade with its own order (control plane first, drain, one minor at a
/// time), not a package install. With a minor channel, any installed patch of that minor is accepted as it is.
/// </remarks>
public sealed class KubernetesPackagesStep : NodeStep
{
    private static readonly string[] Prerequisites = { "ca-certificates", "curl", "gpg" };

    /// <summary>Creates the step.</summary>
    public KubernetesPackagesStep(KubernetesPackagesOptions? options = null) => Options = options ?? new KubernetesPackagesOptions();

    /// <summary>What was asked for.</summary>
    public KubernetesPackagesOptions Options { get; }

    /// <inheritdoc />
    public override string Name => "KubernetesPackages";

    /// <summary>The plan's facts, for the apply phase.</summary>
    public sealed record Facts(KubernetesVersion Version, AptRepositoryPlan Repository, IReadOnlyList<string> Prerequisites, IReadOnlyList<string> Missing, string? KnownVersion, IReadOnlyList<string> Hold, bool EnableKubelet,
        IReadOnlyDictionary<string, string> Installed);

    /// <summary>The version and repository for a node: parameters first, then the node's cluster file.</summary>
    public (KubernetesVersion version, AptRepository repository) Resolve(PiNode node)
    {
        var cluster = node.Cluster;
        var versionText = Options.Version ?? cluster?.Kubernetes.Version
            ?? throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: no Kubernetes version: give -Version or read the node from a cluster file.");
        if (!KubernetesVersion.TryParse(versionText, out var version))
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: '{versionText}' is not a Kubernetes version; write a minor like 1.34 or a patch like 1.34.2.");
        var clusterRepository = cluster is not null && !string.IsNullOrEmpty(cluster.Kubernetes.PackageRepository);
        var url = Options.PackageRepository ?? (clusterRepository ? cluster!.GetPackageRepository() : null);
        // A mirror named by a parameter replaces the file's key and fingerprint too: they belong to the file's mirror.
        var fromFile = Options.PackageRepository is null && cluster is not null;
        var key = Options.RepositoryKey ?? (fromFile && !string.IsNullOrEmpty(cluster!.Kubernetes.RepositoryKey) ? cluster.GetRepositoryKey() : null);
        var fingerprint = Options.RepositoryKeyFingerprint
            ?? (fromFile && Options.RepositoryKey is null && !string.IsNullOrEmpty(cluster!.Kubernetes.RepositoryKeyFingerprint) ? cluster.Kubernetes.RepositoryKeyFingerprint : null);
        try
        {
            return (version!, AptRepository.Kubernetes(version!, url, key, fingerprint,
                Options.PackageRepository is null ? "kubernetes.packageRepository" : "-PackageRepository",
                fromFile && Options.RepositoryKey is null ? "kubernetes.repositoryKey" : "-RepositoryKey",
                fromFile && Options.RepositoryKeyFingerprint is null ? "kubernetes.repositoryKeyFingerprint" : "-RepositoryKeyFingerprint"));
        }
        catch (ArgumentException e)
        {
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The package source's problem for a node, found without contacting it: the URLs and key source, and a local key
    /// file's content. Field is the parameter (-PackageRepository...) or cluster file field the problem is in.
    /// </summary>
    public (string Field, string Message)? CheckPackageSource(PiNode node)
    {
        AptRepository repository;
        try { repository = Resolve(node).repository; }
        catch (NodeException e) when (e.InnerException is ArgumentException argument)
        {
            return (argument.ParamName ?? "", argument.Message);
        }
        catch (NodeException)
        {
            return null; // a missing version is the step's own failure, per node
        }
        if (repository.KeyIsUrl) return null;
        var field = Options.RepositoryKey is null ? "kubernetes.repositoryKey" : "-RepositoryKey";
        try { PackageSource.ReadKeyFile(repository.Key, $"{field} '{repository.Key}'", repository.KeyFingerprint); }
        catch (FormatException e) { return (field, e.Message); }
        return null;
    }

    private const string ReadFacts = "read the package state";

    private RemoteCommand FactsCommand(AptRepository repository) => AptScript.Command(Name, "k8s-facts", Variables(repository), ReadFacts, Options.LockTimeout);

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context)
    {
        AptRepository repository;
        try { repository = Resolve(context.Node).repository; }
        catch (NodeException) { return Array.Empty<RemoteCommand>(); } // the plan reports it
        return new[] { FactsCommand(repository) };
    }

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var (version, repository) = Resolve(context.Node);
        var facts = await AptScript.RunAsync(context, Name, FactsCommand(repository), ReadFacts, Options.LockTimeout).ConfigureAwait(false);

        var installed = ParseInstalled(facts.Get("installed"));
        var wrong = KubernetesPackageVersions.Packages
            .Where(p => installed.ContainsKey(p) && !KubernetesPackageVersions.Satisfies(installed[p], version))
            .Select(p => $"{p} {installed[p]}").ToList();
        if (wrong.Count > 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                $"{context.Node}: {string.Join(", ", wrong)} installed, but Kubernetes {version} is wanted. PiCluster does not change installed Kubernetes " +
                "versions: moving between versions is an upgrade (control plane first, one minor at a time) done with 'kubeadm upgrade plan' and " +
                "'kubeadm upgrade apply/node' (https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/). " +
                $"To keep what is installed, set kubernetes.version to {KubernetesPackageVersions.Upstream(installed[wrong[0].Split(' ')[0]])?.ToString() ?? "the installed version"}.");

        var changes = new List<Change>();
        var aptVersion = facts.GetOr("apt_version", "");
        var prereqs = Prerequisites.Concat(aptVersion.Length > 0 && DebianVersion.Compare(aptVersion, "1.5") < 0 ? new[] { "apt-transport-https" } : Array.Empty<string>())
            .Where(p => !installed.ContainsKey(p)).ToList();
        if (prereqs.Count > 0) changes.Add(new Change($"install prerequisites: {string.Join(" ", prereqs)}"));

        var repo = AptRepositoryPlan.Create(context.Node, repository, facts.GetBytes("sources"), facts.GetBytes("keyring"), changes);

        var missing = KubernetesPackageVersions.Packages.Where(p => !installed.ContainsKey(p)).ToList();
        string? known = null;
        if (missing.Count > 0)
        {
            // Keep the three at one version: match what is installed already, else the newest the lists offer now.
            known = KubernetesPackageVersions.Packages.Where(installed.ContainsKey).Select(p => installed[p]).FirstOrDefault()
                    ?? (repo.IsNeeded ? null : KubernetesPackageVersions.Pick(KubernetesPackageVersions.ParseMadison(facts.Get("madison") ?? ""), version));
            var what = known ?? (version.IsPatch ? $"{version}-*" : $"the newest {version} patch");
            changes.Add(new Change($"install {string.Join(", ", missing)} {what} from {repository.Url}"));
        }
        var holds = Lines(facts.Get("holds"));
        var hold = KubernetesPackageVersions.Packages.Where(p => !holds.Contains(p)).ToList();
        if (hold.Count > 0) changes.Add(new Change($"hold {string.Join(", ", hold)} (apt-mark hold) so that upgrades are deliberate"));
        var enable = facts.GetOr("kubelet_enabled", "") != "enabled";
        if (enable) changes.Add(new Change("enable kubelet"));

        return new StepPlan(changes, new Facts(version, repo, prereqs, missing, known, hold, enable, installed));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        var repository = facts.Repository.Repository;
        var variables = facts.Repository.Variables(facts.Prerequisites, listKubeadmVersions: true);
        var version = facts.KnownVersion;
        var repoChanged = facts.Repository.IsNeeded;
        if (repoChanged || facts.Prerequisites.Count > 0 || (facts.Missing.Count > 0 && version is null))
        {
            var setUp = $"set up the {repository.Name} repository";
            var output = await AptScript.RunAsync(context, Name, AptScript.Command(Name, "k8s-repo", variables, setUp, Options.LockTimeout),
                setUp, Options.LockTimeout, repository).ConfigureAwait(false);
            context.Verbose($"{context.Node}: {output.GetOr("log", "")}");
            if (facts.Missing.Count > 0 && facts.Installed.Count(p => KubernetesPackageVersions.Packages.Contains(p.Key)) == 0)
            {
                var available = KubernetesPackageVersions.ParseMadison(output.Get("madison") ?? "");
                version = KubernetesPackageVersions.Pick(available, facts.Version)
                    ?? throw new NodeException(NodeErrorKind.StepFailed,
                        $"{context.Node}: the repository {repository.Url} has no kubeadm for Kubernetes {facts.Version} (it offers: {KubernetesPackageVersions.Describe(available)}). " +
                        "Pick a version the repository has, or point kubernetes.packageRepository at the right minor.");
            }
        }

        variables["PICLUSTER_INSTALL"] = string.Join(" ", facts.Missing.Select(p => $"{p}={version}"));
        variables["PICLUSTER_HOLD"] = string.Join(" ", facts.Hold);
        variables["PICLUSTER_ENABLE_KUBELET"] = facts.EnableKubelet ? "yes" : "no";
        const string Install = "install the Kubernetes packages";
        var result = await AptScript.RunAsync(context, Name, AptScript.Command(Name, "k8s-install", variables, Install, Options.LockTimeout),
            Install, Options.LockTimeout, repository, nothingChanged: !repoChanged).ConfigureAwait(false);

        // Verify: all three installed at the wanted version, held, kubelet enabled.
        var installed = ParseInstalled(result.Get("installed"));
        var holds = Lines(result.Get("holds"));
        var problems = KubernetesPackageVersions.Packages
            .Where(p => !installed.ContainsKey(p) || !KubernetesPackageVersions.Satisfies(installed[p], facts.Version) || !holds.Contains(p))
            .Select(p => installed.TryGetValue(p, out var v) ? $"{p} {v}{(holds.Contains(p) ? "" : " not held")}" : $"{p} not installed").ToList();
        if (result.GetOr("kubelet_enabled", "") != "enabled") problems.Add("kubelet not enabled");
        if (problems.Count > 0)
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: after installing, {string.Join(", ", problems)}.");
        return new KubernetesPackagesResult(installed["kubeadm"], repository.Url);
    }

    private static Dictionary<string, string> Variables(AptRepository repository) => new()
    {
        ["PICLUSTER_SOURCES"] = repository.SourcesPath,
        ["PICLUSTER_KEYRING"] = repository.KeyringPath,
    };

    /// <summary>Installed packages ("ii", or "hi" when held) from "package version Status-Abbrev" lines.</summary>
    internal static Dictionary<string, string> ParseInstalled(string? text)
    {
        var installed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Lines(text))
        {
            var parts = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            // db:Status-Abbrev: wanted state (i, or h when held), then the current state; 'i' there means installed.
            if (parts.Length >= 3 && parts[2].Length >= 2 && parts[2][1] == 'i') installed[parts[0]] = parts[1];
        }
        return installed;
    }

    private static List<string> Lines(string? text) =>
        (text ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
