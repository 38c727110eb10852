namespace PiCluster.Transport;

/// <summary>Exit code and output of a remote command.</summary>
public sealed class CommandResult
{
    /// <summary>Creates a result.</summary>
    public CommandResult(int exitCode, string stdout, string stderr)
    {
        ExitCode = exitCode;
        Stdout = stdout;
        Stderr = stderr;
    }

    /// <summary>The script's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>Standard output.</summary>
    public string Stdout { get; }

    /// <summary>Standard error.</summary>
    public string Stderr { get; }

    /// <summary>Exit code 0.</summary>
    public bool Succeeded => ExitCode == 0;
}
