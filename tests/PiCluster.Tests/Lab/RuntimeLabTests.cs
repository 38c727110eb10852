using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Steps.Runtime;
using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>
/// Install-PiContainerRuntime on a lab node: a config with the CRI plugin disabled is repaired, a user's section kept.
/// Three fresh nodes getting the runtime and packages: NodePrepLabTests (after Initialize, on the same nodes).
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class RuntimeLabTests
{
    private readonly LabFixture _lab;

    public RuntimeLabTests(LabFixture lab) => _lab = lab;

    [Fact]
    public async Task ConfigWithCriDisabled_IsRepaired_AndTheUsersOwnSectionSurvives()
    {
        const string node = "node2";
        await _lab.ResetAsync(node);
        var nodes = LabRuns.Nodes(_lab, node);
        var install = LabRuns.RunSteps(nodes, new ContainerRuntimeStep());
        Assert.True(install.Failures.Count == 0, LabRuns.Describe(install));

        // What a Docker package leaves, plus a user's registry mirror.
        await LabRuns.RootAsync(_lab, node, "printf '%s\\n' 'disabled_plugins = [\"cri\"]' '' " +
            "'[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]' '  endpoint = [\"https://mirror.lab.invalid\"]' " +
            "> /etc/containerd/config.toml && systemctl restart containerd");
        Assert.DoesNotContain("ok", await LabRuns.RootAsync(_lab, node, "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"));

        var repair = LabRuns.RunSteps(nodes, new ContainerRuntimeStep());

        Assert.True(repair.Failures.Count == 0, LabRuns.Describe(repair));
        var result = Assert.Single(repair.Results);
        Assert.Equal(StepStatus.Changed, result.Status);
        Assert.Contains(result.Changes, c => c.Description.Contains("enable the CRI plugin"));
        var config = await LabRuns.RootAsync(_lab, node, "cat /etc/containerd/config.toml");
        Assert.Contains("endpoint = [\"https://mirror.lab.invalid\"]", config);
        Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(config));
        Assert.Contains("ok", await LabRuns.RootAsync(_lab, node, "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"));
        Assert.NotEmpty(await LabRuns.RootAsync(_lab, node, "ls /etc/containerd/config.toml.picluster-*.bak"));

        var again = LabRuns.RunSteps(nodes, new ContainerRuntimeStep());
        Assert.Equal(StepStatus.Unchanged, Assert.Single(again.Results).Status);
    }
}
