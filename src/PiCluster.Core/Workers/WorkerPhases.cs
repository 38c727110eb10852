using System.Collections.Generic;
using PiCluster.Engine.Phases;

namespace PiCluster.Workers;

/// <summary>The phases that join workers to the cluster, for Join-PiWorker and for any run that ends with the joins.</summary>
public static class WorkerPhases
{
    /// <summary>
    /// Reads each worker's kubelet, makes one bootstrap token on the leader (deleted when the run ends), and joins the
    /// workers that are not in the cluster yet. New instances each time: the token phase keeps what it made in this run.
    /// </summary>
    public static IReadOnlyList<ClusterPhase> Join(JoinOptions options) => new ClusterPhase[]
    {
        new WorkerFactsPhase(),
        new JoinTokenPhase(options),
        new JoinPhase(options),
    };
}
