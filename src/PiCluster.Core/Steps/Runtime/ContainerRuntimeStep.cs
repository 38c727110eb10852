using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Transport;

namespace PiCluster.Steps.Runtime;

/// <summary>
/// Installs and configures the CRI runtime kubelet talks to. containerd (default) comes from the distribution's
/// package; its config.toml gets the systemd cgroup driver, kubeadm's pause image and the CRI plugin enabled, and
/// keeps everything else the user wrote. CRI-O comes from its pkgs.k8s.io repository (signed-by). Both get
/// /etc/crictl.yaml, an enabled and active service, and a check through the CRI socket. A changed config restarts the
/// service once.
/// </summary>
public sealed class ContainerRuntimeStep : NodeStep
{
    /// <summary>containerd's CRI socket.</summary>
    public const string ContainerdSocket = "unix:///run/containerd/containerd.sock";

    /// <summary>CRI-O's CRI socket.</summary>
    public const string CriOSocket = "unix:///var/run/crio/crio.sock";

    /// <summary>Creates the step.</summary>
    public ContainerRuntimeStep(ContainerRuntimeOptions? options = null) => Options = options ?? new ContainerRuntimeOptions();

    /// <summary>What was asked for.</summary>
    public ContainerRuntimeOptions Options { get; }

    /// <inheritdoc />
    public override string Name => "ContainerRuntime";

    /// <summary>The plan's facts, for the apply phase.</summary>
    public sealed record Facts(ContainerRuntime Runtime, KubernetesVersion Version, bool Install, string Package, FileEdit? Config,
        FileEdit? Crictl, bool Restart, AptRepositoryPlan? Repository, IReadOnlyList<string> Prerequisites);

    /// <summary>The runtime and Kubernetes version for a node: parameters first, then its cluster file.</summary>
    public (ContainerRuntime runtime, KubernetesVersion version) Resolve(PiNode node)
    {
        var runtime = Options.Runtime ?? (node.Cluster?.Runtime.Name.ToLowerInvariant() switch
        {
            null or "" or "containerd" => ContainerRuntime.Containerd,
            "cri-o" or "crio" => ContainerRuntime.CriO,
            var other => throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: unknown runtime '{other}' in the cluster file; use containerd or cri-o."),
        });
        var text = Options.KubernetesVersion ?? node.Cluster?.Kubernetes.Version ?? new KubernetesSettings().Version;
        if (!KubernetesVersion.TryParse(text, out var version))
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: '{text}' is not a Kubernetes version; write a minor like 1.34 or a patch like 1.34.2.");
        return (runtime, version!);
    }

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var (runtime, version) = Resolve(context.Node);
        var facts = await GatherAsync(context, runtime, version).ConfigureAwait(false);
        return PlanFrom(context.Node, runtime, version, facts);
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        var socket = facts.Runtime == ContainerRuntime.CriO ? CriOSocket : ContainerdSocket;
        if (facts.Repository is { IsNeeded: true } || facts.Prerequisites.Count > 0)
        {
            var repo = facts.Repository!;
            var setUp = $"set up the {repo.Repository.Name} repository";
            await AptScript.RunAsync(context, Name, AptScript.Command(Name, "k8s-repo", repo.Variables(facts.Prerequisites), setUp, Options.LockTimeout),
                setUp, Options.LockTimeout, repo.Repository).ConfigureAwait(false);
        }
        var installed = false;
        if (facts.Install)
        {
            var install = $"install {facts.Package}";
            await AptScript.RunAsync(context, Name, AptScript.Command(Name, "runtime-install", new Dictionary<string, string> { ["PICLUSTER_PACKAGE"] = facts.Package }, install, Options.LockTimeout),
                install, Options.LockTimeout, facts.Repository?.Repository, nothingChanged: facts.Repository is not { IsNeeded: true }).ConfigureAwait(false);
            installed = true;
            // The package brought its own config and defaults: plan the files again from what is there now.
            var again = PlanFrom(context.Node, facts.Runtime, facts.Version, await GatherAsync(context, facts.Runtime, facts.Version).ConfigureAwait(false));
            facts = (Facts)again.Facts!;
        }

        var variables = new Dictionary<string, string>
        {
            [FileEdit.WritesVariable] = FileEdit.WriteRequest(new[] { facts.Config, facts.Crictl }.OfType<FileEdit>()),
            ["PICLUSTER_SERVICE"] = Service(facts.Runtime),
            ["PICLUSTER_SOCKET"] = socket,
            ["PICLUSTER_RUNTIME"] = facts.Runtime == ContainerRuntime.CriO ? "crio" : "containerd",
            ["PICLUSTER_RESTART"] = facts.Restart || (installed && facts.Config is not null) ? "yes" : "no",
        };
        var result = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("runtime-apply", variables), asRoot: true, timeout: TimeSpan.FromMinutes(3), display: $"{Name}: configure and start {Service(facts.Runtime)}"),
            context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw FileEdit.DiskFullError(context.Node, Name, result) ?? new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {Name} could not configure and start {Service(facts.Runtime)} (exit code {result.ExitCode}): {AptScript.Tail(result.Stderr)}");
        context.Verbose($"{context.Node}: {SectionedOutput.Parse(result.Stdout).GetOr("verify", "")}");
        return new ContainerRuntimeResult(facts.Runtime, socket);
    }

    private static string Service(ContainerRuntime runtime) => runtime == ContainerRuntime.CriO ? "crio" : "containerd";

    private static string PackageName(ContainerRuntime runtime) => runtime == ContainerRuntime.CriO ? "cri-o" : "containerd";

    private const string ReadFacts = "read the runtime's state";

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context)
    {
        ContainerRuntime runtime;
        KubernetesVersion version;
        try { (runtime, version) = Resolve(context.Node); }
        catch (NodeException) { return Array.Empty<RemoteCommand>(); } // the plan reports it
        return new[] { FactsCommand(runtime, version) };
    }

    private Task<SectionedOutput> GatherAsync(StepContext context, ContainerRuntime runtime, KubernetesVersion version) =>
        AptScript.RunAsync(context, Name, FactsCommand(runtime, version), ReadFacts, Options.LockTimeout);

    private RemoteCommand FactsCommand(ContainerRuntime runtime, KubernetesVersion version)
    {
        var criO = runtime == ContainerRuntime.CriO ? AptRepository.CriO(version) : null;
        var variables = new Dictionary<string, string>
        {
            ["PICLUSTER_RUNTIME"] = runtime == ContainerRuntime.CriO ? "crio" : "containerd",
            ["PICLUSTER_SERVICE"] = Service(runtime),
            ["PICLUSTER_PACKAGE"] = PackageName(runtime),
            ["PICLUSTER_CONFIG"] = runtime == ContainerRuntime.Containerd ? ContainerdConfig.Path : "",
            ["PICLUSTER_SOURCES"] = criO?.SourcesPath ?? "",
            ["PICLUSTER_KEYRING"] = criO?.KeyringPath ?? "",
        };
        return AptScript.Command(Name, "runtime-facts", variables, ReadFacts, Options.LockTimeout);
    }

    /// <summary>The plan for the facts a node reported.</summary>
    internal StepPlan PlanFrom(PiNode node, ContainerRuntime runtime, KubernetesVersion version, SectionedOutput facts)
    {
        var changes = new List<Change>();
        var packages = ParsePackages(facts.Get("package"));
        var package = PackageName(runtime);
        // Docker's containerd.io provides containerd too (and conflicts with Debian's package): use it as it is.
        var installedAs = runtime == ContainerRuntime.Containerd
            ? new[] { "containerd", "containerd.io" }.FirstOrDefault(packages.ContainsKey)
            : packages.ContainsKey(package) ? package : null;
        var install = installedAs is null;
        var socket = runtime == ContainerRuntime.CriO ? CriOSocket : ContainerdSocket;
        var pause = PauseImage.For(version);

        AptRepositoryPlan? repository = null;
        var prerequisites = new List<string>();
        if (runtime == ContainerRuntime.CriO)
        {
            var aptPackages = ParsePackages(facts.Get("apt_installed"));
            prerequisites.AddRange(new[] { "ca-certificates", "curl", "gpg" }.Where(p => !aptPackages.ContainsKey(p)));
            if (prerequisites.Count > 0) changes.Add(new Change($"install prerequisites: {string.Join(" ", prerequisites)}"));
            repository = AptRepositoryPlan.Create(node, AptRepository.CriO(version), facts.GetBytes("sources"), facts.GetBytes("keyring"), changes);
        }

        if (install)
        {
            var candidate = facts.GetOr("candidate", "");
            changes.Add(new Change($"install {package}{(candidate.Length > 0 && candidate != "(none)" && repository is not { IsNeeded: true } ? " " + candidate : "")}"
                                   + (runtime == ContainerRuntime.Containerd ? " (Debian package)" : $" from {repository!.Repository.Url}")));
            if (runtime == ContainerRuntime.Containerd)
                changes.Add(new Change($"write {ContainerdConfig.Path} from 'containerd config default' with SystemdCgroup = true and sandbox image {pause}"));
        }

        FileEdit? config = null;
        var restart = false;
        var service = facts.GetOr("service", "").Split(' ');
        var active = service.Length > 1 && service[1] == "active";
        if (!install && runtime == ContainerRuntime.Containerd)
        {
            var current = facts.GetBytes("config");
            var pristine = facts.GetOr("config_pristine", "no") == "yes";
            var defaults = facts.GetBytes("default_config");
            var fromDefaults = (current is null || pristine) && defaults is not null;
            var baseText = Encoding.UTF8.GetString(fromDefaults ? defaults! : current ?? Array.Empty<byte>());
            var edit = ContainerdConfig.Apply(baseText, pause, ContainerdMajor(packages[installedAs!]));
            config = FileEdit.ToText(ContainerdConfig.Path, current, edit.Text);
            if (config.IsNeeded)
            {
                var what = fromDefaults
                    ? $"write {ContainerdConfig.Path} from 'containerd config default'" + (current is null ? "" : " (the file was the package's unmodified one)") + ": " + string.Join("; ", edit.Changes)
                    : $"edit {ContainerdConfig.Path}: " + string.Join("; ", edit.Changes);
                changes.Add(config.ToChange(what));
                restart = active;
            }
            else config = null;
            if (config is null && active && facts.GetOr("cri_plugin", "ok") != "ok")
            {
                changes.Add(new Change($"restart containerd: its config is right but the CRI plugin is not running ({facts.GetOr("cri_plugin", "missing")})"));
                restart = true;
            }
        }

        var crictl = FileEdit.ToText(CrictlConfig.Path, facts.GetBytes("crictl"), CrictlConfig.Render(Text(facts.GetBytes("crictl")), socket));
        if (crictl.IsNeeded) changes.Add(crictl.ToChange($"point crictl at {socket} ({CrictlConfig.Path})"));
        if (!install)
        {
            if (service.Length == 0 || service[0] != "enabled") changes.Add(new Change($"enable {Service(runtime)}"));
            if (!active) changes.Add(new Change($"start {Service(runtime)}"));
        }
        else changes.Add(new Change($"enable and start {Service(runtime)}"));

        return new StepPlan(changes, new Facts(runtime, version, install, package, config, crictl.IsNeeded ? crictl : null, restart, repository, prerequisites));
    }

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    /// <summary>containerd's major version from its package version (1.6.20~ds1-1+deb12u3 gives 1).</summary>
    internal static int ContainerdMajor(string packageVersion)
    {
        var v = packageVersion.Contains(':') ? packageVersion.Substring(packageVersion.IndexOf(':') + 1) : packageVersion;
        var digits = new string(v.TakeWhile(char.IsDigit).ToArray());
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : 1;
    }

    private static Dictionary<string, string> ParsePackages(string? text) => KubernetesPackagesStep.ParseInstalled(text);
}
