using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace PiCluster.Clusters;

/// <summary>Reads and validates cluster files. A file either loads completely valid or throws with every problem in it.</summary>
public static class ClusterFileLoader
{
    /// <summary>Reads, parses and validates a cluster file.</summary>
    /// <param name="path">The file; errors name it as given, <see cref="ClusterDefinition.SourcePath"/> holds its full path.</param>
    /// <exception cref="ClusterFileException">The file is not a valid cluster file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ClusterDefinition Load(string path)
    {
        var cluster = Parse(File.ReadAllText(path), path);
        cluster.SourcePath = Path.GetFullPath(path);
        return cluster;
    }

    /// <summary>Parses and validates cluster YAML held in memory.</summary>
    /// <param name="yaml">The file's text.</param>
    /// <param name="fileName">The name errors report.</param>
    /// <exception cref="ClusterFileException">The text is not a valid cluster file.</exception>
    public static ClusterDefinition Parse(string yaml, string fileName)
    {
        var errors = new List<ClusterFileError>();
        var (cluster, reader) = ClusterFileReader.Read(yaml, fileName, errors);
        if (cluster is not null)
            ClusterValidator.Validate(cluster, reader);
        if (errors.Count > 0)
            throw new ClusterFileException(errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        return cluster!;
    }
}
