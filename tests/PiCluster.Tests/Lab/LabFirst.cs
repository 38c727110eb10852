using System.Collections.Generic;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("PiCluster.Tests.Lab.LabFirst", "PiCluster.Tests")]
// Three collections at a time, not one per core: each lab collection holds a slot for all of its tests (xUnit's
// conservative algorithm), mostly waiting on emulated nodes, so the unit tests keep a slot of their own beside them.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]

namespace PiCluster.Tests.Lab;

/// <summary>
/// Starts the lab collections before every other: the first test boots the lab (minutes) and their tests run one
/// after another for most of the run, so they are the run's critical path. xUnit's own order is random per run: in one
/// CI run it let unit-test collections go first and held back <c>lab up</c> by 3.5 minutes. The rest keep that order.
/// </summary>
public sealed class LabFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        var all = testCollections.ToList();
        return all.Where(IsLab).Concat(all.Where(c => !IsLab(c)));
    }

    private static bool IsLab(ITestCollection collection) =>
        collection.DisplayName is LabCollection.Name or LabDeployCollection.Name;
}
