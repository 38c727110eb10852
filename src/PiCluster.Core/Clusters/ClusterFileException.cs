using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Clusters;

/// <summary>A cluster file that cannot be used. Carries every problem found, not just the first.</summary>
public sealed class ClusterFileException : Exception
{
    /// <summary>Creates the exception from the errors found (at least one).</summary>
    public ClusterFileException(IReadOnlyList<ClusterFileError> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, ordered by position in the file.</summary>
    public IReadOnlyList<ClusterFileError> Errors { get; }
}
