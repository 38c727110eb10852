using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace PiCluster.Clusters;

/// <summary>Reads and validates cluster files. A file either loads completely valid or throws with every problem in it.</summary>
public static class ClusterFileLoader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads, parses and validates a cluster file.</summary>
    /// <param name="path">The file; errors name it as given, <see cref="ClusterDefinition.SourcePath"/> holds its full path.</param>
    /// <exception cref="ClusterFileException">The file is not a valid cluster file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ClusterDefinition Load(string path)
    {
        var cluster = Parse(ReadBounded(path), path);
        cluster.SourcePath = Path.GetFullPath(path);
        return cluster;
    }

    /// <summary>Decodes (strict UTF-8), parses and validates a cluster file's bytes.</summary>
    internal static ClusterDefinition Parse(byte[] bytes, string fileName) => bytes.Length > ClusterFileLimits.MaxBytes
        ? throw Refuse(fileName, 1, 1, TooLarge(bytes.Length))
        : Parse(Decode(bytes, fileName), fileName);

    /// <summary>Parses and validates cluster YAML held in memory.</summary>
    /// <param name="yaml">The file's text.</param>
    /// <param name="fileName">The name errors report.</param>
    /// <exception cref="ClusterFileException">The text is not a valid cluster file.</exception>
    public static ClusterDefinition Parse(string yaml, string fileName)
    {
        if (yaml.Length > ClusterFileLimits.MaxBytes)
            throw Refuse(fileName, 1, 1, TooLarge(yaml.Length));
        if (yaml.IndexOf('\0') is var nul and >= 0)
            throw Refuse(fileName, yaml, nul, NulMessage);
        var errors = new List<ClusterFileError>();
        var (cluster, reader) = ClusterFileReader.Read(yaml, fileName, errors);
        if (cluster is not null)
            ClusterValidator.Validate(cluster, reader);
        if (errors.Count > 0)
        {
            var ordered = errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
            throw new ClusterFileException(ordered.Take(ClusterFileLimits.MaxErrors).ToList(), Math.Max(0, ordered.Count - ClusterFileLimits.MaxErrors));
        }
        return cluster!;
    }

    private const string NulMessage = "The file contains a NUL character: a cluster file is UTF-8 text; if it was saved as UTF-16, save it as UTF-8.";

    private static string TooLarge(long size) =>
        $"The file is {size} bytes: a cluster file may be at most {ClusterFileLimits.MaxBytes} bytes (1 MiB); is this the right file?";

    /// <summary>The file's bytes, refusing a file over the size cap without reading more of it than the cap.</summary>
    private static byte[] ReadBounded(string path)
    {
        using var file = File.OpenRead(path);
        var buffer = new byte[ClusterFileLimits.MaxBytes + 1];
        var length = 0;
        for (int read; length < buffer.Length && (read = file.Read(buffer, length, buffer.Length - length)) > 0;)
            length += read;
        if (length > ClusterFileLimits.MaxBytes)
            throw Refuse(path, 1, 1, TooLarge(file.CanSeek ? file.Length : length));
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Strict UTF-8 (an optional byte order mark is dropped); UTF-16 and invalid bytes are refused with their position.</summary>
    private static string Decode(byte[] bytes, string path)
    {
        if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
            throw Refuse(path, 1, 1, "The file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8.");
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            // The position of the bad byte, counted in the text that decodes before it.
            var good = Encoding.UTF8.GetString(bytes, start, Math.Clamp(e.Index, 0, bytes.Length - start));
            throw Refuse(path, good, good.Length, "The file is not valid UTF-8 here: save it as UTF-8 text.");
        }
    }

    private static ClusterFileException Refuse(string file, string text, int index, string message)
    {
        var line = 1 + text.Take(index).Count(ch => ch == '\n');
        var column = index - (text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1) + 1;
        return Refuse(file, line, Math.Max(1, column), message);
    }

    private static ClusterFileException Refuse(string file, int line, int column, string message) =>
        new(new[] { new ClusterFileError(file, line, column, message) });
}
