namespace PiCluster.Steps.NodePrep;

/// <summary>Which kernel interface the iptables command drives.</summary>
public enum IptablesBackend
{
    /// <summary>iptables is not installed.</summary>
    None,

    /// <summary>The classic x_tables interface (iptables-legacy).</summary>
    Legacy,

    /// <summary>nf_tables through the iptables-nft compatibility layer (Debian's default since Buster).</summary>
    Nft,
}
