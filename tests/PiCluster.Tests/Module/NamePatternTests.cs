using System.Collections.Generic;
using PiCluster.Hosting;
using Xunit;

namespace PiCluster.Tests.Module;

public class NamePatternTests
{
    [Theory]
    [InlineData("node*", "node01", true)]
    [InlineData("NODE*", "node01", true)]
    [InlineData("node0?", "node01", true)]
    [InlineData("node0?", "node1", false)]
    [InlineData("node0[1-2]", "node02", true)]
    [InlineData("node0[1-2]", "node03", false)]
    [InlineData("node01", "node01", true)]
    [InlineData("node01", "node011", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("n`*", "n*", true)]
    [InlineData("n`*", "nx", false)]
    public void MatchesLikePowerShellWildcards(string pattern, string name, bool expected) =>
        Assert.Equal(expected, new NamePattern(pattern).IsMatch(name));

    [Fact]
    public void FilterKeepsFileOrderAndReportsPlainNamesThatMatchNothing()
    {
        var names = new[] { "cp1", "w1", "w2" };

        var selected = NamePattern.Filter(names, n => n, new[] { "w*", "cp1", "missing", "nothing*" }, out var unmatched);

        Assert.Equal(new[] { "cp1", "w1", "w2" }, selected);
        Assert.Equal(new[] { "missing" }, unmatched);
    }

    [Fact]
    public void NoPatternsSelectsAll() =>
        Assert.Equal(3, NamePattern.Filter(new[] { "a", "b", "c" }, n => n, new List<string>(), out _).Count);
}
