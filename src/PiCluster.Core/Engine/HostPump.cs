using System;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace PiCluster.Engine;

/// <summary>
/// Carries calls to the <see cref="IRunHost"/> from worker threads to the thread that started the run: PowerShell
/// accepts Write* and ShouldProcess only on the pipeline thread. <see cref="Run"/> runs the work on the thread pool
/// and pumps the queued calls on the calling thread until the work is done.
/// </summary>
internal sealed class HostPump
{
    // A call gets the host, or null when the host failed earlier (e.g. the pipeline is stopping): the call must then
    // still complete whatever waits on it, without touching the host.
    private readonly BlockingCollection<Action<IRunHost?>> _queue = new();

    /// <summary>
    /// Turns an exception the work ended with (other than a cancellation) into the one to throw to the caller, e.g. a
    /// redacted copy. Host failures are rethrown as they are: they come from the host and hold nothing of the run.
    /// </summary>
    public Func<Exception, Exception>? WorkFailure { get; set; }

    /// <summary>Queues a call to the host. Never blocks.</summary>
    public void Post(Action<IRunHost> call)
    {
        try { _queue.Add(host => { if (host is not null) call(host); }); }
        catch (InvalidOperationException) { /* the run is over; nothing listens any more */ }
    }

    /// <summary>Asks the host a question on the calling thread; a failed or stopping host answers with an exception.</summary>
    public Task<T> Ask<T>(Func<IRunHost, T> question)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(host =>
            {
                if (host is null) { answer.TrySetCanceled(); return; }
                try { answer.TrySetResult(question(host)); }
                catch { answer.TrySetCanceled(); throw; }
            });
        }
        catch (InvalidOperationException) { answer.TrySetCanceled(); }
        return answer.Task;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool and pumps host calls here until it ends. If the host throws
    /// (PowerShell throws when the pipeline stops), the work is cancelled, allowed to clean up, and the host's exception
    /// is rethrown. If <paramref name="cancellation"/> fires, the work is expected to stop and clean up; then this throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public void Run(IRunHost host, Func<CancellationToken, Task> work, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var task = Task.Run(() => work(stop.Token), CancellationToken.None);
        _ = task.ContinueWith(_ => _queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        ExceptionDispatchInfo? hostFailure = null;
        foreach (var call in _queue.GetConsumingEnumerable())
        {
            try { call(hostFailure is null ? host : null); }
            catch (Exception e) when (hostFailure is null)
            {
                hostFailure = ExceptionDispatchInfo.Capture(e);
                stop.Cancel();
            }
        }

        hostFailure?.Throw();
        try { task.GetAwaiter().GetResult(); }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException("The run was cancelled.", cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException && WorkFailure is not null)
        {
            // The work failed outside any node (a bug): what reaches the caller is the safe copy.
            throw WorkFailure(e);
        }
    }
}
