using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using PiCluster.Tests.Lab;
using Xunit;

namespace PiCluster.Tests.PowerShell;

/// <summary>The Pester suite (tests/Pester) without the lab: the module surface in a real pwsh 7.6.9.</summary>
public class PesterTests
{
    [Fact]
    public async Task ThePesterSuitePassesInARealPwsh()
    {
        var outcome = await PesterSuite.RunAsync("unit", new[] { "-ExcludeTag", "Lab" }, TimeSpan.FromMinutes(10));
        Assert.True(outcome.Passed > 0, "Pester ran no test");
        Assert.Equal(0, outcome.Skipped);
    }
}

/// <summary>The Pester tests tagged Lab, against the lab of this test run.</summary>
[Collection(LabCollection.Name)]
[Trait("Category", "Lab")]
public class PesterLabTests(LabFixture lab)
{
    [Fact]
    public async Task ThePesterLabTestsPassAgainstTheLab()
    {
        await lab.ResetAsync(LabFixture.PiNodes);
        // The tests tagged Cluster need a deployed cluster: DeployLabTests runs them on the cluster it deploys.
        var outcome = await PesterSuite.RunAsync("lab", new[] { "-Tag", "Lab", "-ExcludeTag", "Cluster" }, TimeSpan.FromMinutes(30),
            new Dictionary<string, string> { ["PICLUSTER_LAB_CLUSTER"] = lab.ClusterFilePath });
        Assert.True(outcome.Passed > 0, "Pester ran no lab test");
        Assert.Equal(0, outcome.Skipped);
    }
}
