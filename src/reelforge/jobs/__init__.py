"""Jobs: who asked for which video, how far it got, what it cost; executed durably by DBOS workers."""
