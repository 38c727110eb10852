using System.Collections.Generic;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("PiCluster.Tests.Lab.LabFirst", "PiCluster.Tests")]

namespace PiCluster.Tests.Lab;

/// <summary>
/// Starts the lab collection before every other: its first test boots the lab (minutes) and its tests run one after
/// another for most of the run, so it is the run's critical path. xUnit's own collection order is random per run: in one
/// CI run it let unit-test collections go first and held back <c>lab up</c> by 3.5 minutes. The rest keep that order.
/// </summary>
public sealed class LabFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        var all = testCollections.ToList();
        return all.Where(IsLab).Concat(all.Where(c => !IsLab(c)));
    }

    private static bool IsLab(ITestCollection collection) => collection.DisplayName == LabCollection.Name;
}
