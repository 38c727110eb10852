using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>Opens sessions to nodes. The production implementation drives the system OpenSSH client.</summary>
public interface INodeConnector
{
    /// <summary>Connects to a node, checking its host key. Throws <see cref="NodeException"/> on failure.</summary>
    Task<INodeSession> OpenAsync(PiNode node, ConnectOptions options, CancellationToken cancellationToken);
}
