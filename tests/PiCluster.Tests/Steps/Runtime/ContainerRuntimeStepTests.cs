using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Runtime;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Steps.Runtime;

public class ContainerRuntimeStepTests
{
    private const string Pause = "registry.k8s.io/pause:3.10.1";
    private const string Socket = "unix:///run/containerd/containerd.sock";

    private static PiNode Node(string runtime = "containerd") =>
        new("node1", "127.0.0.1", cluster: new ClusterDefinition { Kubernetes = { Version = "1.34" }, Runtime = { Name = runtime } });

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>The facts script's output for a node in a given state.</summary>
    private static string Facts(bool installed, string? config = null, bool pristine = false, string? crictl = null,
        string service = "enabled active", string criPlugin = "ok", string package = "containerd 1.6.20~ds1-1+deb12u3 ii ")
    {
        var sb = new StringBuilder();
        sb.Append("@@ package\n").Append(installed ? package + "\n" : "");
        sb.Append("@@ candidate\n1.6.20~ds1-1+deb12u3\n");
        sb.Append(config is null ? "@@ config !missing\n" : $"@@ config\n{B64(config)}\n");
        sb.Append("@@ config_pristine\n").Append(pristine ? "yes" : "no").Append('\n');
        sb.Append("@@ default_config\n").Append(installed ? B64(ContainerdConfigs.Default16 + "\n") : "").Append('\n');
        sb.Append(crictl is null ? "@@ crictl !missing\n" : $"@@ crictl\n{B64(crictl)}\n");
        sb.Append("@@ service\n").Append(installed ? service : " inactive").Append('\n');
        sb.Append("@@ cri_plugin\n").Append(installed ? criPlugin : "").Append('\n');
        sb.Append("@@ locks\n");
        return sb.ToString();
    }

    private static string Converged => ContainerdConfig.Apply(ContainerdConfigs.Default16 + "\n", Pause, 1).Text;

    private static async Task<(StepPlan plan, FakeNodeSession session)> Plan(Func<RemoteCommand, CommandResult> handler, PiNode? node = null, ContainerRuntimeOptions? options = null)
    {
        var session = new FakeNodeSession(node ?? Node(), handler);
        var step = new ContainerRuntimeStep(options);
        var plan = await step.PlanAsync(new StepContext(session, new[] { session.Node }, _ => { }, CancellationToken.None));
        return (plan, session);
    }

    [Fact]
    public async Task ConvergedNode_NoChanges_OneRoundTrip()
    {
        var (plan, session) = await Plan(_ => FakeNodeSession.Ok(Facts(true, Converged, crictl: CrictlConfig.Render(null, Socket))));
        Assert.Empty(plan.Changes);
        Assert.Equal(1, session.RoundTrips);
        Assert.True(session.Commands[0].AsRoot);
        Assert.Contains("PICLUSTER_CONFIG='/etc/containerd/config.toml'", session.Commands[0].Script);
    }

    [Fact]
    public async Task FreshNode_InstallsConfiguresAndStarts_WithOneRestartOfTheNewConfig()
    {
        var calls = new List<string>();
        var installedYet = false;
        CommandResult Handler(RemoteCommand c)
        {
            calls.Add(c.Display ?? "");
            if (c.Display!.Contains("read the runtime's state"))
                return FakeNodeSession.Ok(installedYet ? Facts(true, ContainerdConfigs.DebianPackaged + "\n", pristine: true) : Facts(false));
            if (c.Display.Contains("install containerd")) { installedYet = true; return FakeNodeSession.Ok("@@ log\ninstalled containerd\n"); }
            return FakeNodeSession.Ok("@@ log\nrestarted containerd\n@@ verify\ncontainerd answers\n");
        }
        var session = new FakeNodeSession(Node(), Handler);
        var step = new ContainerRuntimeStep();
        var context = new StepContext(session, new[] { session.Node }, _ => { }, CancellationToken.None);
        var plan = await step.PlanAsync(context);

        Assert.Contains(plan.Changes, c => c.Description.StartsWith("install containerd 1.6.20", StringComparison.Ordinal));
        Assert.Contains(plan.Changes, c => c.Description.Contains("containerd config default") && c.Description.Contains(Pause));
        Assert.Contains(plan.Changes, c => c.Description.Contains("/etc/crictl.yaml"));
        Assert.Contains(plan.Changes, c => c.Description == "enable and start containerd");

        var data = await step.ApplyAsync(plan, context);

        Assert.Equal(4, session.RoundTrips); // facts, install, facts again, configure + verify
        var apply = session.Commands.Last().Script;
        Assert.Contains(ScriptWrites.Of(apply), w => w.Path == "/etc/containerd/config.toml" && w.Text == Converged);
        Assert.Contains("PICLUSTER_RESTART='yes'", apply);
        Assert.Contains(ScriptWrites.Of(apply), w => w.Path == "/etc/crictl.yaml");
        Assert.Contains("PICLUSTER_LOCK_TIMEOUT='300'", session.Commands[1].Script);
        Assert.Equal(Socket, Assert.IsType<ContainerRuntimeResult>(data).CriSocket);
    }

    [Fact]
    public async Task DockerConfigWithCriDisabled_IsRepairedAndRestartedOnce()
    {
        var (plan, session) = await Plan(_ => FakeNodeSession.Ok(Facts(true, ContainerdConfigs.DockerPackaged + "\n", crictl: CrictlConfig.Render(null, Socket),
            criPlugin: "", package: "containerd.io 1.7.22-1 ii ")));
        var change = Assert.Single(plan.Changes);
        Assert.Contains("enable the CRI plugin", change.Description);
        Assert.Contains("-disabled_plugins = [\"cri\"]", change.Diff);
        var facts = (ContainerRuntimeStep.Facts)plan.Facts!;
        Assert.True(facts.Restart);
        Assert.False(facts.Install); // Docker's containerd.io is used as it is, not replaced
    }

    [Fact]
    public async Task UserEditedConfig_IsEditedNotRegenerated()
    {
        var (plan, _) = await Plan(_ => FakeNodeSession.Ok(Facts(true, ContainerdConfigs.UserWithMirror + "\n", crictl: CrictlConfig.Render(null, Socket))));
        var facts = (ContainerRuntimeStep.Facts)plan.Facts!;
        var text = Encoding.UTF8.GetString(facts.Config!.After);
        Assert.Contains("mirror.example.internal", text);
        Assert.StartsWith("edit /etc/containerd/config.toml", plan.Changes[0].Description);
    }

    [Fact]
    public async Task RightConfigButCriNotRunning_RestartsOnly()
    {
        var (plan, _) = await Plan(_ => FakeNodeSession.Ok(Facts(true, Converged, crictl: CrictlConfig.Render(null, Socket), criPlugin: "error")));
        Assert.Contains("restart containerd", Assert.Single(plan.Changes).Description);
        Assert.True(((ContainerRuntimeStep.Facts)plan.Facts!).Restart);
    }

    [Fact]
    public async Task StoppedService_IsStartedNotRestarted()
    {
        var (plan, _) = await Plan(_ => FakeNodeSession.Ok(Facts(true, Converged, crictl: CrictlConfig.Render(null, Socket), service: "disabled inactive")));
        Assert.Equal(new[] { "enable containerd", "start containerd" }, plan.Changes.Select(c => c.Description));
        Assert.False(((ContainerRuntimeStep.Facts)plan.Facts!).Restart);
    }

    [Fact]
    public async Task CriO_FromItsSignedRepository_CrictlOnCrioSocket()
    {
        var facts = "@@ package\n@@ candidate\n(none)\n@@ sources !missing\n@@ keyring !missing\n@@ apt_installed\ncurl 7.88 ii \nca-certificates 2023 ii \n" +
                    "@@ crictl !missing\n@@ service\n inactive\n@@ cri_plugin\n@@ locks\n";
        var (plan, session) = await Plan(_ => FakeNodeSession.Ok(facts), Node("cri-o"));
        var descriptions = plan.Changes.Select(c => c.Description).ToList();
        Assert.Contains("install prerequisites: gpg", descriptions);
        Assert.Contains(descriptions, d => d.StartsWith("download the signing key https://pkgs.k8s.io/addons:/cri-o:/stable:/v1.34/deb/Release.key", StringComparison.Ordinal));
        Assert.Contains(plan.Changes, c => c.Diff?.Contains("+deb [signed-by=/etc/apt/keyrings/cri-o-apt-keyring.gpg] https://pkgs.k8s.io/addons:/cri-o:/stable:/v1.34/deb/ /") == true);
        Assert.Contains(descriptions, d => d.StartsWith("install cri-o from", StringComparison.Ordinal));
        Assert.Contains(descriptions, d => d.Contains("unix:///var/run/crio/crio.sock"));
        Assert.DoesNotContain(descriptions, d => d.Contains("config.toml"));
        Assert.Contains("PICLUSTER_SOURCES='/etc/apt/sources.list.d/cri-o.list'", session.Commands[0].Script);
    }

    [Fact]
    public async Task RuntimeParameter_OverridesClusterFile_AndUnknownRuntimeFails()
    {
        var step = new ContainerRuntimeStep(new ContainerRuntimeOptions { Runtime = ContainerRuntime.CriO, KubernetesVersion = "1.33" });
        Assert.Equal((ContainerRuntime.CriO, KubernetesVersion.Parse("1.33")), step.Resolve(Node()));
        var ex = Assert.Throws<NodeException>(() => new ContainerRuntimeStep().Resolve(Node("docker")));
        Assert.Equal(NodeErrorKind.InvalidNodeState, ex.Kind);
    }

    [Theory]
    [InlineData("1.6.20~ds1-1+deb12u3", 1)]
    [InlineData("2.0.5-1", 2)]
    [InlineData("1:2.1.0-1", 2)]
    public void ContainerdMajor(string version, int major) => Assert.Equal(major, ContainerRuntimeStep.ContainerdMajor(version));
}
