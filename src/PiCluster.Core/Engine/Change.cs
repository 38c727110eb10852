namespace PiCluster.Engine;

/// <summary>One difference between a node and its desired state, as a step plans it.</summary>
public sealed class Change
{
    /// <summary>Creates a change.</summary>
    public Change(string description, string? diff = null, bool rebootRequired = false)
    {
        Description = description;
        Diff = diff;
        RebootRequired = rebootRequired;
    }

    /// <summary>What changes, in one line ("comment out swap line 4 in /etc/fstab").</summary>
    public string Description { get; }

    /// <summary>A unified diff of a file edit, when the change edits a file.</summary>
    public string? Diff { get; }

    /// <summary>The change takes effect only after a reboot.</summary>
    public bool RebootRequired { get; }

    /// <inheritdoc />
    public override string ToString() => Description;
}
