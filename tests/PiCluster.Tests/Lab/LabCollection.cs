using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>
/// The one lab shared by every lab test class of a test run: mark a class with
/// <c>[Collection(LabCollection.Name)]</c> and <c>[Trait("Category", "Lab")]</c>, take a <see cref="LabFixture"/>
/// in its constructor, and call <see cref="LabFixture.ResetAsync"/> first for every node the test changes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "Lab";
}
