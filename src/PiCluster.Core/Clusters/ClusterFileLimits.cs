namespace PiCluster.Clusters;

/// <summary>
/// The bounds a cluster file is read within, so that a hostile or broken file fails fast with an error instead of
/// exhausting memory, time or the stack (of PowerShell itself, and of tab completion).
/// </summary>
public static class ClusterFileLimits
{
    /// <summary>The largest file, in bytes (1 MiB; a large cluster's file is a few KiB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The deepest nesting of lists and mappings (a cluster file needs four).</summary>
    public const int MaxDepth = 64;

    /// <summary>The most entries under <c>nodes</c>.</summary>
    public const int MaxNodes = 1000;

    /// <summary>The most errors listed; the rest are counted.</summary>
    public const int MaxErrors = 50;
}
