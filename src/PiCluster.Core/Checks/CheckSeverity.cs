namespace PiCluster.Checks;

/// <summary>How much a preflight finding matters.</summary>
public enum CheckSeverity
{
    /// <summary>Blocks a working cluster; fix it before provisioning.</summary>
    Error,

    /// <summary>Works, but is unusual or risky; read the detail.</summary>
    Warning,

    /// <summary>For the record.</summary>
    Info,
}
