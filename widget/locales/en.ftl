# The widget's English UI. Every string a shopper sees or hears comes from here.
launcher-open = Open chat
launcher-close = Close chat
header-reply-time = We typically reply within a minute
message-log = Conversation
composer-label = Message
composer-placeholder = Write a message…
send = Send
status-sending = Sending…
status-sent = Sent
status-seen = Seen
status-failed = Not sent. Tap to retry
banner-reconnecting = Connection lost. Reconnecting…
author-bot = Bot
author-agent = Agent
author-you = You
empty-greeting = Hi! Ask us anything about sizes, shipping or returns.
