using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Clusters;

/// <summary>A cluster file that cannot be used. Carries every problem found (up to <see cref="ClusterFileLimits.MaxErrors"/>), not just the first.</summary>
public sealed class ClusterFileException : Exception
{
    /// <summary>Creates the exception from the errors found (at least one).</summary>
    /// <param name="errors">The errors listed.</param>
    /// <param name="moreErrors">How many further errors were found but are not listed.</param>
    public ClusterFileException(IReadOnlyList<ClusterFileError> errors, int moreErrors = 0)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString())
            .Concat(moreErrors > 0 ? new[] { $"... and {moreErrors} more error(s)." } : Array.Empty<string>())))
    {
        Errors = errors;
        MoreErrors = moreErrors;
    }

    /// <summary>The problems listed, ordered by position in the file.</summary>
    public IReadOnlyList<ClusterFileError> Errors { get; }

    /// <summary>How many further problems were found beyond <see cref="Errors"/>.</summary>
    public int MoreErrors { get; }
}
