using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>
/// The one lab shared by every lab test class of a test run: mark a class with
/// <c>[Collection(LabCollection.Name)]</c> and <c>[Trait("Category", "Lab")]</c>, take a <see cref="LabFixture"/>
/// in its constructor, and call <see cref="LabFixture.ResetAsync"/> first for every node the test changes.
/// Its classes run one after another on node1-node5.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "Lab";
}

/// <summary>
/// The deploy lane: the same lab, its own nodes (<see cref="LabFixture.DeployNodes"/>, node6-node9), so that the deploy
/// test, the longest lab test by far, runs beside the classes of <see cref="LabCollection"/> instead of after them
/// (under emulation those mostly wait on reboots, timeouts and locks, and leave a core idle). No test in one lane
/// touches a node of the other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LabDeployCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "LabDeploy";
}
