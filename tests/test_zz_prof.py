import time, cProfile, pstats
def test_timing(make_app, tmp_path):
    make_app()
    from hearthside.app import create_app
    t=time.perf_counter(); 
    pr=cProfile.Profile(); pr.enable()
    for i in range(5):
        d=tmp_path/f"d{i}"; 
        app=make_app.__wrapped__ if False else None
    pr.disable()
