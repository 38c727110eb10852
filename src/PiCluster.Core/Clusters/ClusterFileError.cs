using System.Globalization;

namespace PiCluster.Clusters;

/// <summary>One problem in a cluster file: where it is, what is wrong and what to do.</summary>
public sealed class ClusterFileError
{
    /// <summary>Creates an error.</summary>
    public ClusterFileError(string file, int line, int column, string message)
    {
        File = file;
        Line = line;
        Column = column;
        Message = message;
    }

    /// <summary>The cluster file, as named by the caller.</summary>
    public string File { get; }

    /// <summary>1-based line.</summary>
    public int Line { get; }

    /// <summary>1-based column.</summary>
    public int Column { get; }

    /// <summary>What is wrong and what to do about it.</summary>
    public string Message { get; }

    /// <summary>The compiler-style form <c>file:line:column: message</c>.</summary>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}: {3}", File, Line, Column, Message);
}
