using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using PiCluster.Clusters;
using Xunit;

namespace PiCluster.Tests.Clusters;

/// <summary>
/// The cluster file corpus: every file under ClusterFiles/invalid states the errors it must produce in leading
/// "# expect: line:column message" comments, so adding a case is adding a file.
/// </summary>
public class ClusterFileCorpusTests
{
    private static string Folder(string kind) => Path.Combine(AppContext.BaseDirectory, "ClusterFiles", kind);

    public static TheoryData<string> InvalidFiles() => Files("invalid");

    public static TheoryData<string> ValidFiles() => Files("valid");

    private static TheoryData<string> Files(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Folder(kind), "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public void InvalidFileReportsExactlyItsExpectedErrors(string file)
    {
        var path = Path.Combine(Folder("invalid"), file);
        var expected = File.ReadLines(path)
            .Select(line => Regex.Match(line, "^# expect: (.*)$"))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();
        Assert.NotEmpty(expected);

        var error = Assert.Throws<ClusterFileException>(() => ClusterFileLoader.Load(path));

        Assert.Equal(expected, error.Errors.Select(e => $"{e.Line}:{e.Column} {e.Message}").ToList());
        Assert.All(error.Errors, e => Assert.Equal(path, e.File));
        Assert.Equal(error.Errors.Select(e => $"{path}:{e.Line}:{e.Column}: {e.Message}"), error.Message.Split(Environment.NewLine));
    }

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void ValidFileLoads(string file)
    {
        var cluster = ClusterFileLoader.Load(Path.Combine(Folder("valid"), file));
        Assert.NotEmpty(cluster.Nodes);
    }

    [Fact]
    public void CorpusCoversAtLeastThirtyInvalidFiles()
    {
        var count = Directory.GetFiles(Folder("invalid"), "*.yaml").Length;
        Assert.True(count >= 30, $"only {count} invalid cluster files");
    }
}
